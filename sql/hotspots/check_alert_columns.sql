-- Alerts that break the alerts table's rules: a spike whose count is not above its threshold (C3
-- excepted: it can alarm on the two previous periods), or a missing id, method or severity.
-- Parameters: none.
SELECT count(*) AS bad_alerts
FROM marts.alerts
WHERE alert_id IS NULL OR method IS NULL OR severity IS NULL
   OR (alert_type <> 'sustained high burden' AND method <> 'ears_c3' AND NOT observed > threshold)
   OR (alert_type = 'sustained high burden' AND NOT observed >= threshold);

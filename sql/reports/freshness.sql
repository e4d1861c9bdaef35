-- Source label, period covered, refresh time and publication settings of the Medical Examiner data.
SELECT
    f.label, f.is_synthetic, f.data_from, f.data_to, f.refreshed_at,
    p.region_label, p.suppress_below, p.provisional_months
FROM marts.source_freshness AS f, marts.publication AS p
WHERE f.source = 'medical_examiner';

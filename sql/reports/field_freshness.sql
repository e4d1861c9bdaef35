-- Freshness of the field-data sources (test strips, outreach); empty when none are published.
SELECT source, label, is_synthetic, data_from, data_to, refreshed_at
FROM marts.field_data_sources
WHERE source IN ('test_strips', 'outreach')
ORDER BY source;

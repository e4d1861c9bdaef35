-- Monthly test-strip results over all areas (every substance as sold), per strip type.
SELECT month, strip_type, strips_used, tests_read, positives
FROM marts.test_strip_positivity
WHERE area_level = 'all' AND substance_as_sold = 'all' AND strip_type IN ('fentanyl', 'xylazine')
ORDER BY month, strip_type;

-- The marts present in the published database (older publications may lack some).
SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY table_name;

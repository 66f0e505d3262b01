"""Reading extracts: CSV, XLSX and the mapping of local headers, into raw text tables."""

"""Statistics pages and tables of the country, a province or a district."""

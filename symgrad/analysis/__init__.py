"""Analysis of a chain beyond one pass: worst-case bounds, regimes, gain regions."""

package federation

// RSASignRateForBench exposes the baseline to the external benchmarks.
var RSASignRateForBench = RSASignRate

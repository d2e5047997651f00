"""One adapter per agent protocol, each turning its payload into a `SampleBatch`, and the one
place a batch is stored."""

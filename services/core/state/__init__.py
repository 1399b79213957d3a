"""Local state that survives restarts: RocksDB stores whose changelog is written in the
same Kafka transaction as the outputs and input offsets that caused them."""

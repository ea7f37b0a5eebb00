"""The `compression` table option: what Cassandra 5.0 stores in system_schema.tables and the
ConfigurationExceptions it gives for contradictory or invalid sub-options.

Sources (apache/cassandra):
- src/java/org/apache/cassandra/schema/CompressionParams.java (fromMap, removeChunkLength,
  removeSstableCompressionClass, validate; min_compress_ratio kept as a double when not 0).
- test/unit/org/apache/cassandra/cql3/validation/operations/CreateTest.java and AlterTest.java
  (testCreateTableWithCompression, testAlterTableWithCompression).
"""

import pytest
from cassandra.protocol import ConfigurationException

from .util import assert_invalid, one


def compression_of(cql, t):
    return one(cql, f"SELECT compression FROM system_schema.tables WHERE keyspace_name = '{cql.keyspace}' AND table_name = '{t}'")[0]


def test_min_compress_ratio_is_stored_as_a_double_unless_zero(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY) WITH compression = {{'class': 'LZ4Compressor', 'min_compress_ratio': 2}}")
    assert compression_of(cql, t) == {
        "chunk_length_in_kb": "16", "class": "org.apache.cassandra.io.compress.LZ4Compressor", "min_compress_ratio": "2.0"}
    cql.execute(f"ALTER TABLE {t} WITH compression = {{'class': 'LZ4Compressor', 'min_compress_ratio': 0}}")
    assert compression_of(cql, t) == {"chunk_length_in_kb": "16", "class": "org.apache.cassandra.io.compress.LZ4Compressor"}


def test_an_empty_legacy_compression_class_disables_compression(cql, t):
    cql.execute(f"CREATE TABLE {t} (k int PRIMARY KEY) WITH compression = {{'sstable_compression': '', 'chunk_length_kb': 32}}")
    assert compression_of(cql, t) == {"enabled": "false"}


@pytest.mark.parametrize("options, message", [
    ("{'class': ''}", "The 'class' option must not be empty. To disable compression use 'enabled' : false"),
    ("{'enabled': 'false', 'class': 'SnappyCompressor'}",
     "If the 'enabled' option is set to false no other options must be specified"),
    ("{'sstable_compression': 'SnappyCompressor', 'class': 'SnappyCompressor'}",
     "The 'sstable_compression' option must not be used if the compression algorithm is already specified by the 'class' option"),
    ("{'class': 'SnappyCompressor', 'chunk_length_kb': 32, 'chunk_length_in_kb': 32}",
     "The 'chunk_length_kb' option must not be used if the chunk length is already specified by the 'chunk_length_in_kb' option"),
    ("{'class': 'SnappyCompressor', 'chunk_length_in_kb': 31}", "chunk_length_in_kb must be a power of 2"),
    ("{'class': 'SnappyCompressor', 'chunk_length_in_kb': -1}", "Invalid negative or null chunk_length_in_kb"),
    ("{'class': 'SnappyCompressor', 'min_compress_ratio': -1}", "Invalid negative min_compress_ratio"),
    ("{'class': 'SnappyCompressor', 'min_compress_ratio': 0.5}",
     "min_compress_ratio can either be 0 or greater than or equal to 1"),
    ("{'class': 'SnappyCompressor', 'unknownOption': 32}", "Unknown compression options unknownOption"),
])
def test_invalid_compression_options_are_refused(cql, t, options, message):
    assert_invalid(cql, f"CREATE TABLE {t} (k int PRIMARY KEY) WITH compression = {options}", message,
                   error=ConfigurationException)

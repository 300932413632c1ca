"""The stream recorder: bus consumer groups into the database, acknowledged after commit."""

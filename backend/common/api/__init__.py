"""The REST API's plumbing shared by every app: parser, errors, pagination, filters, permissions, views."""

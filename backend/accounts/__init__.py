"""Users and roles (viewer, operator, service) as Django groups."""

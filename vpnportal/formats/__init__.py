"""Date and time formats of the pages per language (settings.FORMAT_MODULE_PATH): `|date:"PORTAL_MINUTE_FORMAT"`."""

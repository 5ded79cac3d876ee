"""Japanese: 2026年12月3日 15:04 UTC, with the time zone shown as on the English pages.

Django's own ja formats (DATETIME_FORMAT, ...) stay as Django ships them; these are the names the pages use.
"""

# A moment to the minute: 2026年12月3日 15:04 UTC
PORTAL_MINUTE_FORMAT = "Y年n月j日 H:i T"
# A moment to the second: 2026年12月3日 15:04:05 UTC
PORTAL_SECOND_FORMAT = "Y年n月j日 H:i:s T"
# Rows of one table that say the zone once: 2026年12月3日 15:04:05
PORTAL_SECOND_NO_ZONE_FORMAT = "Y年n月j日 H:i:s"
# 2026年12月3日 15:04
PORTAL_MINUTE_NO_ZONE_FORMAT = "Y年n月j日 H:i"

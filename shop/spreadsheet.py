"""Text written into CSV and Excel files."""


def spreadsheet_safe(value):
    """Keep typed text from running as a spreadsheet formula (a leading = + - @ tab or CR gets a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

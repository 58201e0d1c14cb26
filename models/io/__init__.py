"""File I/O: the versioned OpsPlan JSON document, its schema, importers and exporters.

Nothing here evaluates or unpickles file content; every write is atomic.
"""

from opsplan.models.io.document import Document, dumps, from_json_dict, load, loads, save, to_json_dict
from opsplan.models.io.exporters import export_schedule, schedule_from_json
from opsplan.models.io.importers import detect_format, import_file, importers

__all__ = [
    "Document",
    "detect_format",
    "dumps",
    "export_schedule",
    "from_json_dict",
    "import_file",
    "importers",
    "load",
    "loads",
    "save",
    "schedule_from_json",
    "to_json_dict",
]

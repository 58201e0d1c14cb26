"""The JSON Schema definitions of a job-shop scenario (merged into the document schema's ``$defs``).

References to ``#/$defs/id``, ``time``, ``text`` and ``window`` are the document schema's
shared definitions (:mod:`opsplan.models.io.schema`).
"""

from __future__ import annotations

from typing import Any

from opsplan.models.core import MAX_TIME

ROOT = "jobshop_scenario"

SCHEMA_DEFS: dict[str, Any] = {'jobshop_scenario': {'type': 'object',
                      'additionalProperties': False,
                      'required': ['name', 'machines', 'jobs'],
                      'properties': {'name': {'type': 'string'},
                                     'description': {'$ref': '#/$defs/text'},
                                     'time_unit': {'enum': ['s', 'min', 'h']},
                                     'epoch': {'type': ['string', 'null'],
                                               'description': 'ISO 8601 instant of t = 0, e.g. '
                                                              '2026-12-01T06:00:00'},
                                     'objective': {'enum': ['makespan',
                                                            'total_weighted_tardiness',
                                                            'max_lateness']},
                                     'machines': {'type': 'array',
                                                  'items': {'$ref': '#/$defs/jobshop_machine'}},
                                     'jobs': {'type': 'array', 'items': {'$ref': '#/$defs/jobshop_job'}},
                                     'setups': {'type': 'array',
                                                'items': {'$ref': '#/$defs/jobshop_setup'}}}},
 'jobshop_machine': {'type': 'object',
                     'additionalProperties': False,
                     'required': ['id'],
                     'properties': {'id': {'$ref': '#/$defs/id'},
                                    'name': {'$ref': '#/$defs/text'},
                                    'capacity': {'$ref': '#/$defs/capacity'},
                                    'calendar': {'type': 'array', 'items': {'$ref': '#/$defs/window'}}}},
 'jobshop_job': {'type': 'object',
                 'additionalProperties': False,
                 'required': ['id', 'operations'],
                 'properties': {'id': {'$ref': '#/$defs/id'},
                                'name': {'$ref': '#/$defs/text'},
                                'release': {'$ref': '#/$defs/time'},
                                'due': {'type': ['integer', 'null'],
                                        'minimum': 0,
                                        'maximum': MAX_TIME,
                                        'description': 'Due date; null when the job has none.'},
                                'deadline': {'type': ['integer', 'null'],
                                             'minimum': 0,
                                             'maximum': MAX_TIME,
                                             'description': "Hard deadline: the job's last operation must "
                                                            'end by it; null when the job has none.'},
                                'weight': {'type': 'integer', 'minimum': 0, 'maximum': MAX_TIME},
                                'operations': {'type': 'array',
                                               'items': {'$ref': '#/$defs/jobshop_operation'}}}},
 'jobshop_operation': {'type': 'object',
                       'additionalProperties': False,
                       'required': ['id', 'modes'],
                       'properties': {'id': {'$ref': '#/$defs/id'},
                                      'name': {'$ref': '#/$defs/text'},
                                      'modes': {'type': 'array',
                                                'minItems': 1,
                                                'items': {'$ref': '#/$defs/jobshop_mode'}}}},
 'jobshop_mode': {'type': 'object',
                  'additionalProperties': False,
                  'required': ['resource', 'duration'],
                  'properties': {'resource': {'$ref': '#/$defs/id'},
                                 'duration': {'type': 'integer', 'minimum': 0, 'maximum': MAX_TIME}}},
 'jobshop_setup': {'type': 'object',
                   'additionalProperties': False,
                   'required': ['machine', 'jobs', 'matrix'],
                   'properties': {'machine': {'$ref': '#/$defs/id'},
                                  'jobs': {'type': 'array', 'items': {'$ref': '#/$defs/id'}},
                                  'matrix': {'type': 'array',
                                             'items': {'type': 'array',
                                                       'items': {'type': 'integer',
                                                                 'minimum': 0,
                                                                 'maximum': MAX_TIME}}}}}}

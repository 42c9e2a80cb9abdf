"""The legal office's and the auditors' pages (``/legal``): the trail of any entity, the
coverage and participation dashboards, the rule findings and the dispute file (docs/TRAIL.md)."""

"""Weekly summaries: one per provincial office (about its regency/city offices) and one
for KPU RI (about the 38 provincial offices), in Bahasa Indonesia, readable on a phone.

The numbers come from the published read-only copy of the warehouse, the same tables
staff query, so the email and the tables cannot disagree.
"""

from __future__ import annotations

from medsos.report.render import render_week

__all__ = ["render_week"]

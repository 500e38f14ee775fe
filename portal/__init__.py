"""Cổng Một Cửa: the project package and the "portal" app.

Terms (DESIGN.md §7): Agency = cơ quan/đơn vị; User roles = công dân, cán bộ một cửa, chuyên viên,
lãnh đạo, cán bộ theo dõi báo cáo, quản trị; WorkCalendar = lịch làm việc (ngày làm việc,
giờ làm việc, ngày nghỉ lễ, ngày làm bù).
"""

from .celery import app as celery_app

__all__ = ["celery_app"]

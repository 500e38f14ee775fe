"""Stored choice values of the portal app: English values, Vietnamese labels (STYLE.md §4.9)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A user's role. Roles are Django groups named by these values; what an officer may do in an
    agency is decided by the object permissions the role grants there (ROLE_PERMISSIONS)."""

    CITIZEN = "citizen", _("Công dân, tổ chức")
    DESK_OFFICER = "desk_officer", _("Cán bộ một cửa")
    PROCESSING_OFFICER = "processing_officer", _("Chuyên viên xử lý")
    LEADER = "leader", _("Lãnh đạo")
    REPORT_VIEWER = "report_viewer", _("Cán bộ theo dõi báo cáo")
    REPORTER = "reporter", _("Cán bộ lập báo cáo định kỳ")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


OFFICER_ROLES = frozenset({
    Role.DESK_OFFICER, Role.PROCESSING_OFFICER, Role.LEADER, Role.REPORT_VIEWER, Role.REPORTER,
    Role.ADMINISTRATOR,
})


class AgencyLevel(models.TextChoices):
    """Government level. Depth in the tree is data; the level is a label reports group by.
    Since 1/7/2025 there is no district level (DOMAIN-2025.md §1, N01): district rows stay
    readable as legacy data."""

    MINISTRY = "ministry", _("Cấp bộ")
    PROVINCE = "province", _("Cấp tỉnh")
    DISTRICT = "district", _("Cấp huyện")
    COMMUNE = "commune", _("Cấp xã")


class AgencyKind(models.TextChoices):
    """What kind of body an agency is (DESIGN.md §3; DOMAIN-2025.md N02)."""

    PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
    OFFICE = "office", _("Văn phòng")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    VERTICAL_AGENCY = "vertical_agency", _("Cơ quan ngành dọc")
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
    BRANCH = "branch", _("Chi nhánh")
    RECEPTION_POINT = "reception_point", _("Điểm tiếp nhận và trả kết quả")
    DESK = "desk", _("Bộ phận Một cửa")
    SPECIALIST_UNIT = "specialist_unit", _("Phòng chuyên môn")


class CalendarDayKind(models.TextChoices):
    """An administrator-entered calendar day; it overrides the statutory calendar."""

    HOLIDAY = "holiday", _("Nghỉ lễ, Tết")
    DAY_OFF = "day_off", _("Nghỉ hoán đổi, nghỉ bù")
    MAKEUP_WORKDAY = "makeup_workday", _("Ngày làm việc bù")

    @classmethod
    def off_kinds(cls) -> frozenset[str]:
        return frozenset({cls.HOLIDAY, cls.DAY_OFF})


class TimeUnit(models.TextChoices):
    """Units of a legal time limit (DOMAIN.md §6: giờ, ngày làm việc, ngày)."""

    WORKING_DAYS = "working_days", _("Ngày làm việc")
    WORKING_HOURS = "working_hours", _("Giờ làm việc")
    CALENDAR_DAYS = "calendar_days", _("Ngày")


class HeartbeatSource(models.TextChoices):
    WORKER = "worker", _("Celery worker")
    SCHEDULER = "scheduler", _("Celery beat")

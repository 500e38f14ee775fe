"""Notifications to applicants: e-mail and SMS from administrator-edited templates.

A business service (e.g. hoso's receive, supplement request, rejection) calls `notify(...)`
inside its transaction. `notify` renders the `MessageTemplate`, writes one pending
`Notification` row per channel (idempotent on event_key × channel, SECURITY.md B5) and, on
commit, enqueues the Celery task `portal.deliver_notification` for each new row. The task calls
`deliver_notification`, which claims the row with a compare-and-set update, sends it (Django's
e-mail backend, or the SMS backend of `portal.sms`) and records the outcome. Temporary failures
are retried by the task with backoff; permanent ones mark the row failed.

Template contexts should hold plain values (str, int, date/datetime, lists of str), never
model instances: administrators write the templates, and whatever the context reaches, a
template can print.
"""

from __future__ import annotations

import functools
import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q
from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import sms
from portal.errors import DomainError, NotFoundError
from portal.models import MessageTemplate, Notification, NotificationChannel, NotificationStatus

logger = logging.getLogger(__name__)

TEMPLATE_NOT_FOUND = "Không tìm thấy mẫu thông báo “%(code)s”."
TEMPLATE_INACTIVE = "Mẫu thông báo “%(code)s” đang tạm ngừng sử dụng."
TEMPLATE_INVALID = "Mẫu thông báo “%(code)s” không đúng cú pháp: %(error)s"
TEMPLATE_SYNTAX_ERROR = gettext_lazy(
    "Nội dung mẫu không đúng cú pháp mẫu Django: %(error)s. "
    "Kiểm tra các cặp {{ … }} và {%% … %%}, tên bộ lọc và các thẻ đóng ({%% endif %%}, "
    "{%% endfor %%})."
)
EMAIL_INVALID = "Địa chỉ thư điện tử “%(email)s” không hợp lệ."
EMAIL_REFUSED = "Máy chủ thư từ chối gửi: %(detail)s"
EMAIL_FAILED = "Không gửi được thư điện tử: %(detail)s"
GAVE_UP = "Đã thử gửi %(attempts)s lần không thành công. Lỗi lần cuối: %(error)s"

# A claim older than this belongs to a worker that died mid-send; the row may be claimed again.
# Longer than any SMTP/HTTP timeout, shorter than the Redis visibility timeout (1 h).
CLAIM_TIMEOUT = timedelta(minutes=15)

# The variables each template code receives from its caller, shown to administrators in the
# admin form. Every template also gets `site_name` and `province_name` (from settings).
COMMON_VARIABLES: dict[str, str] = {
    "site_name": "Tên cổng (PORTAL_SITE_NAME)",
    "province_name": "Tên tỉnh (PORTAL_PROVINCE_NAME)",
}
_DOSSIER_VARIABLES: dict[str, str] = {
    "dossier_code": "Mã hồ sơ (trống khi hồ sơ trực tuyến chưa được tiếp nhận)",
    "procedure_name": "Tên thủ tục hành chính",
    "owner_name": "Họ tên người nộp hoặc tên tổ chức (chủ hồ sơ)",
    "receiving_agency": "Tên cơ quan tiếp nhận",
    "deciding_agency": "Tên cơ quan giải quyết",
    "received_at": "Thời điểm tiếp nhận (ngày giờ; dùng |date:\"H:i d/m/Y\")",
    "due_at": "Thời điểm hẹn trả kết quả (ngày giờ; dùng |date:\"H:i d/m/Y\")",
    "tracking_url": "Địa chỉ tra cứu hồ sơ công khai (đầy đủ https://…)",
}
TEMPLATE_VARIABLES: dict[str, dict[str, str]] = {
    "dossier_received": _DOSSIER_VARIABLES,
    "supplement_requested": {
        **_DOSSIER_VARIABLES,
        "missing_items": "Nội dung cần bổ sung, hoàn thiện (văn bản, mỗi mục một dòng)",
    },
    "dossier_rejected": {
        **_DOSSIER_VARIABLES,
        "reason": "Lý do từ chối (văn bản)",
    },
    "dossier_apology": {
        **_DOSSIER_VARIABLES,
        "reason": "Lý do chậm (văn bản)",
        "new_due_at": "Ngày hẹn trả mới (ngày giờ)",
    },
    "dossier_stopped": {**_DOSSIER_VARIABLES, "reason": "Lý do dừng giải quyết (văn bản)"},
    "duty_report": {
        "period_start": "Đầu kỳ (ngày giờ)", "period_end": "Cuối kỳ (ngày giờ)",
        "lines": "Các dòng số liệu theo cơ quan (danh sách văn bản)",
    },
    "deadline_alert": {
        "officer_name": "Họ tên cán bộ nhận thư",
        "kind": "Loại cảnh báo (Sắp đến hạn / Quá hạn / Cần ban hành văn bản xin lỗi)",
        "count": "Số hồ sơ trong thư", "more": "Số hồ sơ không liệt kê (xem hộp thư)",
        "items": ("Danh sách hồ sơ; mỗi dòng có code (mã hồ sơ), procedure_name, owner_name, "
                  "due_at (hạn), step_name (bước xử lý, nếu cảnh báo theo bước)"),
        "inbox_url": "Địa chỉ hàng đợi tương ứng trong hộp thư cán bộ",
    },
    "obligation_requested": {**_DOSSIER_VARIABLES,
                             "reason": "Nghĩa vụ tài chính phải thực hiện (văn bản)"},
    "dossier_resolved": _DOSSIER_VARIABLES,
    "payment_received": {
        "dossier_code": "Mã hồ sơ (trống khi chưa tiếp nhận)", "procedure_name": "Tên thủ tục",
        "owner_name": "Chủ hồ sơ", "amount": "Số tiền đã nộp (1.250.000 đ)",
        "reference": "Mã giao dịch", "paid_at": "Thời điểm thanh toán",
        "payment_url": "Trang thanh toán của hồ sơ (tải biên lai)",
    },
    "result_revoked": {
        "dossier_code": "Mã hồ sơ", "procedure_name": "Tên thủ tục",
        "owner_name": "Chủ hồ sơ", "result_code": "Mã kết quả (<mã hồ sơ>-KQ<n>)",
        "result_name": "Tên giấy tờ kết quả", "revoked_at": "Thời điểm thu hồi",
        "reason": "Lý do thu hồi", "tracking_url": "Địa chỉ tra cứu hồ sơ",
    },
    "result_revoked_agency": {
        "agency_name": "Cơ quan nhận thư", "result_code": "Mã kết quả bị thu hồi",
        "result_name": "Tên giấy tờ kết quả", "revoked_at": "Thời điểm thu hồi",
        "reason": "Lý do thu hồi", "dossier_codes": "Các hồ sơ của cơ quan đã dùng kết quả này",
        "verify_url": "Trang xác thực kết quả",
    },
    "periodic_report_reminder": {
        "recipient_name": "Người nhận", "kind": "Loại nhắc (trước hạn, quá hạn, thủ công)",
        "form_code": "Ký hiệu biểu", "form_title": "Tên biểu", "period_label": "Kỳ báo cáo",
        "period_name": "Tên kỳ (không có ngày)", "agency_name": "Đơn vị phải báo cáo",
        "receiving_agency": "Đơn vị nhận báo cáo", "deadline": "Hạn gửi (ngày giờ)",
        "overdue": "Đã quá hạn (đúng/sai)", "status": "Tình trạng báo cáo",
        "report_url": "Địa chỉ mở báo cáo",
    },
    "periodic_report_submitted": {
        "recipient_name": "Lãnh đạo nhận thư", "submitted_by": "Người trình báo cáo",
        "submitted_at": "Thời điểm trình (ngày giờ)", "version_number": "Số phiên bản",
        "replacement": "Là phiên bản thay thế báo cáo đã gửi (đúng/sai)",
        "reason": "Lý do thay thế (văn bản, khi là phiên bản thay thế)",
        "form_code": "Ký hiệu biểu", "form_title": "Tên biểu", "period_label": "Kỳ báo cáo",
        "period_name": "Tên kỳ (không có ngày)", "agency_name": "Đơn vị báo cáo",
        "receiving_agency": "Đơn vị nhận báo cáo", "deadline": "Hạn gửi (ngày giờ)",
        "overdue": "Đã quá hạn (đúng/sai)", "report_url": "Địa chỉ mở báo cáo",
    },
    "periodic_report_returned": {
        "recipient_name": "Người đã trình báo cáo", "returned_by": "Lãnh đạo trả lại",
        "returned_at": "Thời điểm trả lại (ngày giờ)", "reason": "Lý do trả lại (văn bản)",
        "version_number": "Số phiên bản bị trả lại",
        "form_code": "Ký hiệu biểu", "form_title": "Tên biểu", "period_label": "Kỳ báo cáo",
        "period_name": "Tên kỳ (không có ngày)", "agency_name": "Đơn vị báo cáo",
        "receiving_agency": "Đơn vị nhận báo cáo", "deadline": "Hạn gửi (ngày giờ)",
        "overdue": "Đã quá hạn (đúng/sai)", "report_url": "Địa chỉ mở báo cáo",
    },
    "dossier_assigned": {
        "dossier_code": "Mã hồ sơ", "procedure_name": "Tên thủ tục hành chính",
        "owner_name": "Chủ hồ sơ", "officer_name": "Họ tên cán bộ nhận hồ sơ",
        "due_at": "Hạn trả kết quả (ngày giờ)",
    },
}


# The default texts, exactly as migration 0002_notifications installed them (a test keeps the
# two equal). Used only when the row of a default code is missing (a database flushed by a
# transactional test, a row removed by hand), so that a business action never fails for want
# of a text. Administrators edit the rows, never these.
# The payment layer tells the payer once an order is paid (thanhtoan.services._tell_payer).
# N36 (NĐ 45/2020 Art. 15): a revoked e-result, and paper copies printed from it, lose validity
# at the time of revocation; the owner and the agencies that reused it are told.
RESULT_REVOKED_BODY = """Kính gửi: {{ owner_name }}

Kết quả {{ result_code }} ({{ result_name }}) của hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}) đã bị thu hồi lúc {{ revoked_at|date:"H:i d/m/Y" }}.
Lý do: {{ reason }}

Bản điện tử và các bản in từ bản điện tử này không còn giá trị kể từ thời điểm thu hồi. Kết quả vẫn được lưu để tra cứu.

Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
"""  # noqa: E501 (one line per paragraph of the e-mail)

RESULT_REVOKED_AGENCY_BODY = """Kính gửi: {{ agency_name }}

Kết quả {{ result_code }} ({{ result_name }}) đã bị thu hồi lúc {{ revoked_at|date:"H:i d/m/Y" }}.
Lý do: {{ reason }}

Cơ quan đã tái sử dụng kết quả này cho các hồ sơ: {{ dossier_codes }}. Đề nghị kiểm tra lại các hồ sơ đó.
Xác thực kết quả tại: {{ verify_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
"""  # noqa: E501 (one line per paragraph of the e-mail)

PAYMENT_RECEIVED_BODY = """Kính gửi: {{ owner_name }}

{{ site_name }} đã nhận khoản thanh toán phí, lệ phí {{ amount }} (mã giao dịch {{ reference }}, lúc {{ paid_at|date:"H:i d/m/Y" }}) cho hồ sơ {{ dossier_code|default:"đang chờ tiếp nhận" }} (thủ tục: {{ procedure_name }}).

Biên lai điện tử: tải tại {{ payment_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
"""  # noqa: E501 (one line per paragraph of the e-mail)


# The deadline jobs send one digest per officer and run (hoso.jobs._tell_officers).
DEADLINE_DIGEST_BODY = """Kính gửi: {{ officer_name }}

{{ kind }} — {{ count }} mục (hồ sơ hoặc bước xử lý):
{% for item in items %}
- {{ item.code }} — {{ item.procedure_name }}; chủ hồ sơ: {{ item.owner_name }}{% if item.step_name %}; bước: {{ item.step_name }}{% endif %}; hạn: {{ item.due_at|date:"H:i d/m/Y" }}{% endfor %}{% if more %}
- và {{ more }} hồ sơ khác.{% endif %}

Xem đầy đủ tại: {{ inbox_url }}
Nếu không kịp trả kết quả đúng hạn, đề nghị lãnh đạo ban hành văn bản xin lỗi và hẹn lại ngày trả kết quả trước khi hết hạn.

Trân trọng,
{{ site_name }}
"""  # noqa: E501 (one line per paragraph of the e-mail)


_DEFAULT_TEMPLATE_LIST: list[dict[str, str]] = [
    {
        "code": "dossier_received",
        "name": "Tiếp nhận hồ sơ",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} đã được tiếp nhận",
        "email_body": """Kính gửi: {{ owner_name }}

{{ receiving_agency }} đã tiếp nhận hồ sơ của Ông/Bà.

Mã hồ sơ: {{ dossier_code }}
Thủ tục: {{ procedure_name }}
Cơ quan tiếp nhận: {{ receiving_agency }}{% if deciding_agency and deciding_agency != receiving_agency %}
Cơ quan giải quyết: {{ deciding_agency }}{% endif %}
Thời điểm tiếp nhận: {{ received_at|date:"H:i d/m/Y" }}
Hẹn trả kết quả: {% if due_at %}{{ due_at|date:"H:i d/m/Y" }}{% else %}theo thông báo của cơ quan giải quyết{% endif %}

Ông/Bà tra cứu tình trạng giải quyết hồ sơ tại: {{ tracking_url }}
Khi nhận kết quả, vui lòng mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả hoặc cho biết mã hồ sơ.

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": (
            "Hồ sơ {{ dossier_code }} đã được tiếp nhận. Hẹn trả: "
            "{{ due_at|date:\"H:i d/m/Y\" }}. Tra cứu: {{ tracking_url }}"
        ),
    },
    {
        "code": "supplement_requested",
        "name": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
        "email_subject": (
            "[{{ site_name }}] Hồ sơ {{ dossier_code|default:procedure_name }} "
            "cần bổ sung, hoàn thiện"
        ),
        "email_body": """Kính gửi: {{ owner_name }}

{{ receiving_agency }} đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ{% if dossier_code %} {{ dossier_code }}{% endif %} (thủ tục: {{ procedure_name }}).

Nội dung cần bổ sung, hoàn thiện:
{{ missing_items }}

Ông/Bà vui lòng bổ sung đầy đủ các nội dung trên. Sau khi nhận đủ hồ sơ hợp lệ, cơ quan sẽ tiếp tục giải quyết và thông báo ngày hẹn trả kết quả.

Xem chi tiết và nộp bổ sung tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": (
            "Hồ sơ {{ dossier_code|default:procedure_name|truncatechars:60 }} cần bổ sung, "
            "hoàn thiện. Xem chi tiết tại: {{ tracking_url }}"
        ),
    },
    {
        "code": "dossier_rejected",
        "name": "Từ chối tiếp nhận, giải quyết hồ sơ",
        "email_subject": (
            "[{{ site_name }}] Hồ sơ {{ dossier_code|default:procedure_name }} "
            "không được tiếp nhận, giải quyết"
        ),
        "email_body": """Kính gửi: {{ owner_name }}

{{ receiving_agency }} thông báo hồ sơ{% if dossier_code %} {{ dossier_code }}{% endif %} (thủ tục: {{ procedure_name }}) của Ông/Bà không được tiếp nhận, giải quyết.

Lý do:
{{ reason }}

Xem chi tiết tại: {{ tracking_url }}
Nếu cần hướng dẫn thêm, Ông/Bà vui lòng liên hệ {{ receiving_agency }}.

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": (
            "Hồ sơ {{ dossier_code|default:procedure_name|truncatechars:60 }} không được "
            "tiếp nhận, giải quyết. Xem lý do tại: {{ tracking_url }}"
        ),
    },
    {
        "code": "dossier_apology",
        "name": "Xin lỗi và hẹn lại ngày trả kết quả",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }}: hẹn lại ngày trả kết quả",
        "email_body": """Kính gửi: {{ owner_name }}

{{ deciding_agency }} xin lỗi Ông/Bà vì hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}) chưa giải quyết xong theo hẹn.

Lý do: {{ reason }}
Ngày hẹn trả kết quả mới: {{ new_due_at|date:"H:i d/m/Y" }}

Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Hồ sơ {{ dossier_code }} chậm so với hẹn. Xin lỗi Ông/Bà; hẹn trả mới: "
                     "{{ new_due_at|date:\"H:i d/m/Y\" }}. Tra cứu: {{ tracking_url }}"),
    },
    {
        "code": "dossier_stopped",
        "name": "Dừng giải quyết hồ sơ",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} dừng giải quyết",
        "email_body": """Kính gửi: {{ owner_name }}

{{ deciding_agency }} thông báo dừng giải quyết hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}).

Lý do:
{{ reason }}

Xem chi tiết tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Hồ sơ {{ dossier_code }} đã dừng giải quyết. Xem lý do tại: "
                     "{{ tracking_url }}"),
    },
    {
        "code": "dossier_resolved",
        "name": "Đã có kết quả giải quyết",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} đã có kết quả",
        "email_body": """Kính gửi: {{ owner_name }}

Hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}) đã có kết quả giải quyết.

Ông/Bà nhận kết quả tại {{ receiving_agency }} hoặc theo hình thức đã đăng ký; khi nhận vui lòng mang theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả hoặc cho biết mã hồ sơ.

Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Hồ sơ {{ dossier_code }} đã có kết quả. Tra cứu: {{ tracking_url }}"),
    },
    {
        "code": "payment_received",
        "name": "Đã nhận thanh toán phí, lệ phí",
        "email_subject": ("[{{ site_name }}] Đã nhận thanh toán phí, lệ phí hồ sơ "
                          "{{ dossier_code|default:reference }}"),
        "email_body": PAYMENT_RECEIVED_BODY,
        "sms_body": ("Đã nhận {{ amount }} phí, lệ phí hồ sơ {{ dossier_code|default:reference }}"
                     ". Biên lai: {{ payment_url }}"),
    },
    {
        "code": "dossier_assigned",
        "name": "Hồ sơ chuyển đến cán bộ xử lý",
        "email_subject": "[{{ site_name }}] Hồ sơ {{ dossier_code }} chuyển đến Ông/Bà",
        "email_body": """Kính gửi: {{ officer_name }}

Hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}; chủ hồ sơ: {{ owner_name }}) vừa được chuyển đến Ông/Bà xử lý.
Hạn trả kết quả: {{ due_at|date:"H:i d/m/Y" }}

Trân trọng,
{{ site_name }}
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": "",
    },
    {
        "code": "obligation_requested",
        "name": "Yêu cầu thực hiện nghĩa vụ tài chính",
        "email_subject": ("[{{ site_name }}] Hồ sơ {{ dossier_code }}: đề nghị thực hiện "
                          "nghĩa vụ tài chính"),
        "email_body": """Kính gửi: {{ owner_name }}

Để tiếp tục giải quyết hồ sơ {{ dossier_code }} (thủ tục: {{ procedure_name }}), đề nghị Ông/Bà thực hiện nghĩa vụ tài chính:
{{ reason }}

Thời hạn giải quyết hồ sơ tạm dừng cho đến khi Ông/Bà hoàn thành nghĩa vụ tài chính.
Tra cứu hồ sơ tại: {{ tracking_url }}

Trân trọng,
{{ site_name }} — {{ province_name }}
(Thư gửi tự động, vui lòng không trả lời thư này.)
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": ("Hồ sơ {{ dossier_code }}: đề nghị thực hiện nghĩa vụ tài chính để tiếp "
                     "tục giải quyết. Chi tiết: {{ tracking_url }}"),
    },
    {
        "code": "result_revoked",
        "name": "Thu hồi kết quả điện tử (gửi chủ hồ sơ)",
        "email_subject": "[{{ site_name }}] Kết quả {{ result_code }} đã bị thu hồi",
        "email_body": RESULT_REVOKED_BODY,
        "sms_body": ("Kết quả {{ result_code }} đã bị thu hồi lúc "
                     "{{ revoked_at|date:\"H:i d/m/Y\" }}. Chi tiết: {{ tracking_url }}"),
    },
    {
        "code": "result_revoked_agency",
        "name": "Thu hồi kết quả điện tử (gửi cơ quan đã tái sử dụng)",
        "email_subject": "[{{ site_name }}] Kết quả {{ result_code }} đã bị thu hồi",
        "email_body": RESULT_REVOKED_AGENCY_BODY,
        "sms_body": "",
    },
    {
        "code": "deadline_alert",
        "name": "Cảnh báo thời hạn cho cán bộ",
        "email_subject": "[{{ site_name }}] {{ kind }}: {{ count }} mục",
        "email_body": DEADLINE_DIGEST_BODY,
        "sms_body": "",
    },
    {
        "code": "duty_report",
        "name": "Báo cáo tình hình giải quyết hồ sơ 2 ngày",
        "email_subject": ("[{{ site_name }}] Báo cáo tình hình giải quyết hồ sơ "
                          "{{ period_start|date:\"d/m\" }} – {{ period_end|date:\"d/m/Y\" }}"),
        "email_body": """Kính gửi: Văn phòng UBND tỉnh

Tình hình tiếp nhận, giải quyết hồ sơ từ {{ period_start|date:"H:i d/m/Y" }} đến {{ period_end|date:"H:i d/m/Y" }}:
{% for line in lines %}
- {{ line }}{% empty %}
- Không có hồ sơ phát sinh trong kỳ.{% endfor %}

Trân trọng,
{{ site_name }} — {{ province_name }}
""",  # noqa: E501 (one line per paragraph of the e-mail)
        "sms_body": "",
    },
]
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    t["code"]: {k: v for k, v in t.items() if k != "code"} for t in _DEFAULT_TEMPLATE_LIST
}


# Templates edited in the admin site render with autoescaping off (plain-text e-mail and SMS)
# and only the harmless built-in tags: no {% include %}, {% extends %}, {% load %} or
# {% debug %}, which could read files or print the whole context.
_ALLOWED_TAGS = ("if", "for", "with", "firstof", "now", "spaceless", "cycle", "ifchanged",
                 "regroup", "widthratio", "comment", "filter", "templatetag", "verbatim")
_library = Library()
_library.filters.update(defaultfilters.register.filters)
_library.tags.update({name: defaulttags.register.tags[name] for name in _ALLOWED_TAGS})
_ENGINE = Engine(autoescape=False)
_ENGINE.template_builtins = [_library]


@dataclass(frozen=True)
class RenderedMessage:
    """A template filled in for one event: e-mail subject and body, SMS text ("" = no SMS)."""

    subject: str
    email_body: str
    sms_text: str


class DeliveryError(Exception):
    """Sending failed. `permanent`: trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = str(message)
        self.permanent = permanent


class TemporaryDeliveryError(DeliveryError):
    """Raised by `deliver_notification` when the row is still pending and worth retrying."""


def check_template_syntax(text: str) -> None:
    """Raise a ValidationError (Vietnamese) unless `text` compiles as a message template."""
    try:
        _ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationError(TEMPLATE_SYNTAX_ERROR, code="template_syntax",
                              params={"error": exc}) from exc


def templates_cache_key() -> str:
    return f"portal:message-templates:v1:{connection.settings_dict['NAME']}"


def find_template(code: str) -> MessageTemplate | None:
    """The template row of `code` (None if missing), for busy paths that hand it to `notify`.
    All rows are cached together; saving or deleting one forgets them (`forget_templates`),
    and a change made around the models (a queryset update) is seen within the timeout."""
    from portal.cache import memo

    def load() -> dict:
        table = cache.get(templates_cache_key())
        if table is None:
            table = {t.code: t for t in MessageTemplate.objects.all()}
            cache.set(templates_cache_key(), table, timeout=300)
        return table

    return memo.get(templates_cache_key(), load).get(code)


def forget_templates() -> None:
    """Drop the cached rows now and again at commit (a reader may have cached the old rows
    in between)."""
    from portal.cache import memo

    cache.delete(templates_cache_key())
    memo.clear()
    transaction.on_commit(lambda: (cache.delete(templates_cache_key()), memo.clear()))


def _active_template(code: str, template: MessageTemplate | None = None) -> MessageTemplate:
    template = template if template is not None and template.code == code else (
        MessageTemplate.objects.filter(code=code).first())
    if template is None and code in DEFAULT_TEMPLATES:
        logger.warning("Message template %s is missing; using the built-in default text", code)
        template = MessageTemplate(code=code, **DEFAULT_TEMPLATES[code])
    if template is None:
        raise NotFoundError("message_template_not_found", _(TEMPLATE_NOT_FOUND) % {"code": code})
    if not template.is_active:
        raise DomainError("message_template_inactive", _(TEMPLATE_INACTIVE) % {"code": code})
    return template


@functools.lru_cache(maxsize=256)
def _compiled(text: str):
    """A template text compiled once per process (the text is the key, so an edit in the
    admin site is a new entry)."""
    return _ENGINE.from_string(text)


def _render(template: MessageTemplate, context: dict[str, Any]) -> RenderedMessage:
    full_context = Context({
        "site_name": settings.PORTAL_SITE_NAME,
        "province_name": settings.PORTAL_PROVINCE_NAME,
        **context,
    }, autoescape=False)
    try:
        subject, body, sms_text = (
            _compiled(text).render(full_context)
            for text in (template.email_subject, template.email_body, template.sms_body)
        )
    except TemplateSyntaxError as exc:
        raise DomainError("message_template_invalid", _(TEMPLATE_INVALID)
                          % {"code": template.code, "error": exc}) from exc
    body = "\n".join(line.rstrip() for line in body.strip().splitlines())
    return RenderedMessage(
        subject=" ".join(subject.split()),
        email_body=re.sub(r"\n{3,}", "\n\n", body),
        sms_text=" ".join(sms_text.split()),
    )


def render_message(*, code: str, context: dict[str, Any]) -> RenderedMessage:
    """Fill in the active template `code` with `context` (TEMPLATE_VARIABLES lists the keys).

    Raises NotFoundError for an unknown code and DomainError for an inactive or broken one.
    The subject and the SMS come out on one line; the e-mail body keeps its lines.
    """
    return _render(_active_template(code), context)


def _sms_recipient(phone: str) -> str:
    try:
        return sms.normalize_phone(phone)
    except sms.SmsError:
        return phone.strip()  # kept as typed; delivery marks the row failed with the reason


def _delivery_callback(notification_id: int) -> Callable[[], None]:
    def enqueue_delivery() -> None:
        from portal.tasks import deliver_notification_task  # tasks imports this module

        deliver_notification_task.delay(notification_id)

    return enqueue_delivery


@transaction.atomic(savepoint=False)  # a failure undoes the caller's action too
def notify(
    *,
    code: str,
    context: dict[str, Any],
    email: str | None,
    phone: str | None,
    object_ref: str,
    event_key: str,
    template: MessageTemplate | None = None,
) -> list[Notification]:
    """Queue the message `code` to the applicant by e-mail and SMS; send after commit.

    Rules:
    - one row per channel; a channel is skipped when its address is empty, and SMS also when
      the template's SMS text is empty;
    - idempotent: a row already written for (event_key, channel) is returned, not sent again,
      so `event_key` must name the business event once, e.g. "dossier:123:received";
    - runs in the caller's transaction and enqueues the delivery task on commit, so a rolled
      back action sends nothing;
    - an inactive template means the administrator turned the message off: nothing is written
      and [] is returned; an unknown code raises NotFoundError;
    - `template` is the row of `code` when the caller fetched it beforehand (`find_template`),
      e.g. so as not to read it while holding a lock.
    """
    try:
        template = _active_template(code, template)
    except DomainError as exc:
        if exc.code != "message_template_inactive":
            raise
        logger.info("Message template %s is inactive; %s not notified", code, object_ref)
        return []
    rendered = _render(template, context)
    wanted = []
    if email and email.strip():
        wanted.append((NotificationChannel.EMAIL, email.strip(), rendered.subject,
                       rendered.email_body))
    if phone and phone.strip() and rendered.sms_text:
        wanted.append((NotificationChannel.SMS, _sms_recipient(phone), "", rendered.sms_text))
    now = timezone.now()
    rows = [Notification(template_code=code, channel=channel, recipient=recipient[:254],
                         subject=subject[:255], body=body, object_ref=object_ref,
                         event_key=event_key, created_at=now)
            for channel, recipient, subject, body in wanted]
    created = _insert_new(rows)
    if created:
        # robust: a broker outage must not undo the committed business action; the rows
        # stay pending and visible in the admin site (and redeliver_lost_notifications
        # picks them up).
        transaction.on_commit(kick_relay, robust=True)
    existing = {n.channel: n for n in Notification.objects.filter(
        event_key=event_key, channel__in=[r.channel for r in rows if r.channel not in created])
    } if len(created) < len(rows) else {}
    notifications = []
    for row in rows:
        if row.channel in created:
            row.pk = created[row.channel]
            row._state.adding = False
            notifications.append(row)
        else:
            notifications.append(existing[row.channel])
    return notifications


_NEW_COLUMNS = ("template_code", "channel", "recipient", "subject", "body", "status", "error",
                "attempts", "provider_message_id", "object_ref", "event_key", "created_at")


def _insert_new(rows: list[Notification]) -> dict[str, int]:
    """Insert the rows whose (event_key, channel) is new, in one statement; {channel: id} of
    those inserted (a row already there is left as it is)."""
    if not rows:
        return {}
    table = Notification._meta.db_table
    values = ", ".join(["(" + ", ".join(["%s"] * len(_NEW_COLUMNS)) + ")"] * len(rows))
    params = [connection.ops.adapt_datetimefield_value(value) if column == "created_at"
              else value for row in rows for column in _NEW_COLUMNS
              for value in (getattr(row, column),)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_NEW_COLUMNS)}) VALUES {values} "  # noqa: S608 — names from the model, values are parameters
            "ON CONFLICT (event_key, channel) DO NOTHING RETURNING channel, id", params)
        return dict(cursor.fetchall())


def _send_email(notification: Notification) -> str:
    try:
        validate_email(notification.recipient)
    except ValidationError as exc:
        raise DeliveryError(_(EMAIL_INVALID) % {"email": notification.recipient},
                            permanent=True) from exc
    try:
        send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL,
                  [notification.recipient], fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(_(EMAIL_REFUSED) % {"detail": exc.recipients},
                            permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx: the server will never accept this message; 4xx: try again later.
        raise DeliveryError(_(EMAIL_REFUSED) % {"detail": f"{exc.smtp_code} {exc.smtp_error!r}"},
                            permanent=exc.smtp_code >= 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(_(EMAIL_FAILED) % {"detail": exc}) from exc
    return ""


def _send_sms(notification: Notification) -> str:
    try:
        return sms.get_sms_backend().send(notification.recipient, notification.body)
    except sms.SmsError as exc:
        raise DeliveryError(exc.message, permanent=exc.permanent) from exc


_SENDERS = {NotificationChannel.EMAIL: _send_email, NotificationChannel.SMS: _send_sms}


def deliver_notification(*, notification_id: int) -> Notification | None:
    """Send one pending notification and record the outcome; None when there is nothing to do.

    Rules:
    - claim first with a compare-and-set update (pending and not claimed, or claimed longer
      than CLAIM_TIMEOUT ago), so two workers never send the same row; a sent, failed or
      freshly claimed row is left alone;
    - a permanent error marks the row failed with the reason;
    - a temporary (or unforeseen) error releases the claim, keeps the row pending with the
      reason and raises TemporaryDeliveryError for the task to retry.
    Runs outside a transaction on purpose: the claim must be visible to other workers before
    the message leaves.
    """
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    notification = Notification.objects.get(pk=notification_id)
    ours = Notification.objects.filter(pk=notification_id, claimed_at=now)
    try:
        provider_message_id = _SENDERS[notification.channel](notification)
    except DeliveryError as exc:
        if not exc.permanent:
            ours.update(claimed_at=None, error=exc.message)
            raise TemporaryDeliveryError(exc.message) from exc
        ours.update(status=NotificationStatus.FAILED, error=exc.message)
        logger.warning("Notification %s failed: %s", notification_id, exc.message)
    except Exception as exc:
        # Unforeseen (a backend bug, a library error): retried like a temporary failure, so
        # the row ends failed with the reason instead of staying claimed and pending.
        logger.exception("Notification %s: unexpected error while sending", notification_id)
        ours.update(claimed_at=None, error=repr(exc))
        raise TemporaryDeliveryError(repr(exc)) from exc
    else:
        ours.update(status=NotificationStatus.SENT, sent_at=timezone.now(), error="",
                    provider_message_id=provider_message_id[:100])
    notification.refresh_from_db()
    return notification


def fail_notification(*, notification_id: int, error: str) -> Notification | None:
    """Give up on a pending notification after the last retry; None if it is no longer
    pending (sent or failed meanwhile)."""
    notification = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.PENDING
    ).first()
    if notification is None:
        return None
    message = _(GAVE_UP) % {"attempts": notification.attempts, "error": error}
    updated = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.PENDING
    ).update(status=NotificationStatus.FAILED, error=message, claimed_at=None)
    if not updated:
        return None
    logger.warning("Notification %s failed: %s", notification_id, message)
    notification.refresh_from_db()
    return notification


STALE_AFTER = timedelta(minutes=5)
REDELIVER_BATCH = 500


# --- the relay: from the outbox rows to delivery tasks ----------------------------------------
# A commit that wrote notifications kicks the relay; a burst of commits shares one relay task
# (a cache flag set only when absent), so a busy desk pays one cache round trip per action
# instead of one broker message per message. The relay drops the flag before it reads the
# rows, so a row committed after its read has kicked a new relay: none is left behind (and
# redeliver_lost_notifications sweeps whatever a lost task left).
RELAY_FLAG_SECONDS = 30  # a lost relay task stops blocking new kicks after this
RELAY_WINDOW = timedelta(hours=1)
RELAY_BATCH = 500


def kick_relay() -> None:
    """Make sure one relay task is on its way (after a commit that wrote notifications)."""
    from portal.cache import kick_once
    from portal.tasks import relay_notifications_task  # tasks imports this module

    kick_once("notification-relay", relay_notifications_task, seconds=RELAY_FLAG_SECONDS)


def relay_notifications(*, now=None) -> int:
    """Queue the delivery task of each notification never tried yet (pending, no attempt,
    unclaimed, written within RELAY_WINDOW); the number queued. Delivery claims each row, so
    a row queued twice is still sent once."""
    from portal.cache import kicked

    kicked("notification-relay")
    now = now or timezone.now()
    ids = list(Notification.objects.filter(
        status=NotificationStatus.PENDING, attempts=0, claimed_at__isnull=True,
        created_at__gte=now - RELAY_WINDOW).order_by("pk").values_list("pk", flat=True)[
            :RELAY_BATCH])
    for notification_id in ids:
        _delivery_callback(notification_id)()
    if len(ids) == RELAY_BATCH:
        kick_relay()  # more are waiting
    return len(ids)


def redeliver_lost_notifications(*, now=None) -> int:
    """Queue again the notifications whose delivery task was never run (the broker was down at
    commit): pending, never attempted, older than STALE_AFTER. Delivery claims each row, so a
    duplicate task cannot send twice. Run by beat."""
    now = now or timezone.now()
    ids = list(Notification.objects.filter(
        status=NotificationStatus.PENDING, attempts=0, claimed_at__isnull=True,
        created_at__lt=now - STALE_AFTER).order_by("pk").values_list("pk", flat=True)[
            :REDELIVER_BATCH])
    for notification_id in ids:
        _delivery_callback(notification_id)()
    return len(ids)

"""Periodic reporting (issue 10): GRIS/LRIS-style report forms that agencies submit online.

Terms (DESIGN.md §7):

| Vietnamese | code | meaning |
|---|---|---|
| biểu mẫu báo cáo | ReportForm | a form defined as data: rows × columns, or a list of indicators |
| chỉ tiêu | FormRow (indicator) | one figure an agency reports, with unit, type and rule |
| giao báo cáo | ReportAssignment | a form assigned to agencies, with its deadline and reminders |
| kỳ báo cáo | ReportingPeriod | one period of an assignment (GRIS 15th–14th, or calendar) |
| ngày chốt số liệu | cut-off | the last day of a period (the 14th for GRIS) |
| báo cáo của đơn vị | AgencyReport | one agency's report for one period |
| phiên bản | ReportVersion | a draft, or a frozen submitted/approved version |
| lập, lưu nháp, trình | start, save draft, submit | the reporter's verbs |
| duyệt, trả lại | approve, return | the leader's verbs; approved = sent (đã gửi) |
| thay thế | replace | a new version of a sent report, with a reason |
| nhập hộ báo cáo giấy | record paper report | the provincial office enters a paper report |
| nhắc nộp báo cáo | remind | a reminder before or after the deadline, or at one click |

Modules: validation (cell rules, Vietnamese per-cell messages), prefill (figures computed
from the portal's own data), deadlines (periods, deadlines and reminder days on the
working-day calendar); the verbs: setup (define and assign forms, open periods), services (a
report's verbs: start, save, submit, approve, return, replace, paper), reminders (remind,
the daily reminders); notices (the e-mails about a report: who is told, the texts), jobs (the
scheduled jobs), selectors and exports (the reads and files); the pages: views (inbox, a
report, the shared gates and grid), admin_views (forms, assignments), follow_views (periods,
completion, reminders, aggregate, trend).
"""

"""baocao: reports and KPIs (báo cáo, chỉ số). Filled by the reports issue."""

"""hoso: dossiers (hồ sơ). Filled by the intake and processing issues.

Terms: Dossier = hồ sơ, receive = tiếp nhận, supplement = bổ sung, transfer = liên thông.
"""

"""tthc: the procedure catalogue (thủ tục hành chính). Filled by the catalogue issue.

Terms: Procedure = thủ tục hành chính, Field = lĩnh vực, Workflow = quy trình.
"""

"""thanhtoan: fees and payments (phí, lệ phí, thanh toán). Filled by the payments issue."""

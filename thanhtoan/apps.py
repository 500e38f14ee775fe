from django.apps import AppConfig


class ThanhtoanConfig(AppConfig):
    name = "thanhtoan"
    verbose_name = "Thanh toán"

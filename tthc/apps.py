from django.apps import AppConfig


class TthcConfig(AppConfig):
    name = "tthc"
    verbose_name = "Thủ tục hành chính"

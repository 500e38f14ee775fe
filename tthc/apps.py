from django.apps import AppConfig


class TthcConfig(AppConfig):
    name = "tthc"
    verbose_name = "Thủ tục hành chính"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from portal.cache import memo
        from tthc.models import Procedure

        def procedure_changed(**kwargs) -> None:
            # this process forgets at once; the others within the memo's few seconds
            memo.clear()

        post_save.connect(procedure_changed, sender=Procedure, weak=False,
                          dispatch_uid="procedure-changed")

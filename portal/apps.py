from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Cổng Một Cửa"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from portal.cache import bump_agency_tree_generation
        from portal.models import Agency

        def agency_changed(**kwargs) -> None:
            bump_agency_tree_generation()

        post_save.connect(agency_changed, sender=Agency, dispatch_uid="agency-tree-changed")
        post_delete.connect(agency_changed, sender=Agency, dispatch_uid="agency-tree-changed-d")

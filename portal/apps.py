from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Cổng Một Cửa"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from portal.cache import bump_agency_tree_generation
        from portal.models import Agency, MessageTemplate
        from portal.notifications import forget_templates

        def agency_changed(**kwargs) -> None:
            bump_agency_tree_generation()

        # weak=False: the receivers are local functions, which would be collected at once.
        post_save.connect(agency_changed, sender=Agency, dispatch_uid="agency-tree-changed",
                          weak=False)
        post_delete.connect(agency_changed, sender=Agency, dispatch_uid="agency-tree-changed-d",
                            weak=False)

        def template_changed(**kwargs) -> None:
            forget_templates()

        post_save.connect(template_changed, sender=MessageTemplate,
                          dispatch_uid="message-template-changed", weak=False)
        post_delete.connect(template_changed, sender=MessageTemplate,
                            dispatch_uid="message-template-changed-d", weak=False)

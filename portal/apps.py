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

        # Access facts (portal.permissions.shared_fact) are cached per access generation: any
        # change to who holds what starts a new one.
        from django.db.models.signals import m2m_changed

        from portal.models import AgencyGroupObjectPermission, AgencyUserObjectPermission, User

        for model in (AgencyUserObjectPermission, AgencyGroupObjectPermission):
            post_save.connect(agency_changed, sender=model, weak=False,
                              dispatch_uid=f"access-changed-{model.__name__}")
            post_delete.connect(agency_changed, sender=model, weak=False,
                                dispatch_uid=f"access-changed-d-{model.__name__}")
        m2m_changed.connect(agency_changed, sender=User.groups.through, weak=False,
                            dispatch_uid="access-changed-groups")

        def template_changed(**kwargs) -> None:
            forget_templates()

        post_save.connect(template_changed, sender=MessageTemplate,
                          dispatch_uid="message-template-changed", weak=False)
        post_delete.connect(template_changed, sender=MessageTemplate,
                            dispatch_uid="message-template-changed-d", weak=False)

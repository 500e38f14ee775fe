"""A pg_trgm GIN index on Procedure.search_text (PostgreSQL only; SQLite searches without it)."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS procedure_search_trgm ON tthc_procedure "
    "USING gin (search_text gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS procedure_search_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tthc", "0001_initial")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]

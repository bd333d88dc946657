"""plan-net: payers, networks, plans in networks, per-clinic participation, services,
endpoints and affiliations

Revision ID: d6f1a2c3e4b5
Revises: b4d8e2f6a913
Create Date: 2026-12-07 13:00:00

Today's flat plans move to the Plan-Net model with no loss: each ``insurance_plan`` becomes
a plan owned by a payer of the same name, in a network of the same name
(``payer-<slug>`` and ``ntwk-<slug>``); each provider's plan (``provider_insurance``) becomes
participation in that network at every clinic the provider practises at, accepting new
patients as the provider does; and the clinic group is affiliated with each network.
``provider_insurance`` stays (the search facet and the roster read it).

Downgrade copies participation back into ``provider_insurance`` (a provider who takes a
network anywhere keeps every plan in it), then drops the new tables and columns.
"""

import sqlalchemy as sa
from alembic import op

revision = "d6f1a2c3e4b5"
down_revision = "b4d8e2f6a913"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coverage_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["coverage_area.id"],
            name=op.f("fk_coverage_area_parent_id_coverage_area"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_area")),
        sa.UniqueConstraint("slug", name=op.f("uq_coverage_area_slug")),
    )
    with op.batch_alter_table("coverage_area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_area_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coverage_area_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "healthcare_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("type_text", sa.String(length=160), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=True),
        sa.Column("telehealth", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("coverage_area_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coverage_area_id"],
            ["coverage_area.id"],
            name=op.f("fk_healthcare_service_coverage_area_id_coverage_area"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_healthcare_service_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialty.id"],
            name=op.f("fk_healthcare_service_specialty_id_specialty"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_healthcare_service")),
    )
    with op.batch_alter_table("healthcare_service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_healthcare_service_coverage_area_id"), ["coverage_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_healthcare_service_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_healthcare_service_specialty_id"), ["specialty_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_healthcare_service_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("alias", sa.String(length=160), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip", sa.String(length=10), nullable=False),
        sa.Column("coverage_area_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coverage_area_id"],
            ["coverage_area.id"],
            name=op.f("fk_organization_coverage_area_id_coverage_area"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organization.id"],
            name=op.f("fk_organization_parent_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("slug", name=op.f("uq_organization_slug")),
    )
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_coverage_area_id"), ["coverage_area_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_organization_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_organization_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_organization_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("connection_type", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("payload_type", sa.String(length=40), nullable=False),
        sa.Column("mime_type", sa.String(length=80), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_endpoint_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_endpoint_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endpoint")),
        sa.UniqueConstraint("slug", name=op.f("uq_endpoint_slug")),
    )
    with op.batch_alter_table("endpoint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endpoint_location_id"), ["location_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_endpoint_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_endpoint_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "network_participation",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("accepting_new_patients", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_network_participation_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["organization.id"],
            name=op.f("fk_network_participation_network_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_network_participation_provider_id_provider"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "provider_id", "location_id", "network_id", name=op.f("pk_network_participation")
        ),
    )
    with op.batch_alter_table("network_participation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_participation_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_participation_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_participation_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "organization_affiliation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("participating_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["organization.id"],
            name=op.f("fk_organization_affiliation_network_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_organization_affiliation_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participating_id"],
            ["organization.id"],
            name=op.f("fk_organization_affiliation_participating_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_affiliation")),
    )
    with op.batch_alter_table("organization_affiliation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_affiliation_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_organization_affiliation_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_organization_affiliation_participating_id"),
            ["participating_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_organization_affiliation_updated_at"), ["updated_at"], unique=False
        )

    with op.batch_alter_table("insurance_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("network_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owned_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("administered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("coverage_area_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("product_type", sa.String(length=12), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("plan_type", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index(
            batch_op.f("ix_insurance_plan_administered_by_id"), ["administered_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insurance_plan_coverage_area_id"), ["coverage_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insurance_plan_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insurance_plan_owned_by_id"), ["owned_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insurance_plan_updated_at"), ["updated_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_insurance_plan_administered_by_id_organization"),
            "organization",
            ["administered_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_insurance_plan_network_id_organization"),
            "organization",
            ["network_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_insurance_plan_owned_by_id_organization"),
            "organization",
            ["owned_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_insurance_plan_coverage_area_id_coverage_area"),
            "coverage_area",
            ["coverage_area_id"],
            ["id"],
            ondelete="SET NULL",
        )

    _move_flat_plans()


def _move_flat_plans():
    """Each flat plan becomes a plan in a network of its name; participation per clinic."""
    conn = op.get_bind()
    now = sa.func.now()
    org = sa.table(
        "organization",
        *(sa.column(c) for c in ("id", "slug", "kind", "name", "alias", "parent_id", "phone")),
        *(sa.column(c) for c in ("website", "address_line1", "city", "state", "zip")),
        *(sa.column(c) for c in ("active", "created_at", "updated_at", "version")),
    )
    blank = {k: "" for k in ("alias", "phone", "website", "address_line1", "city", "state", "zip")}

    def add_org(slug, kind, name, parent_id=None):
        row = {"slug": slug, "kind": kind, "name": name, "parent_id": parent_id, **blank}
        row |= {"active": True, "version": 1}
        conn.execute(org.insert().values(**row, created_at=now, updated_at=now))
        return conn.execute(sa.select(org.c.id).where(org.c.slug == slug)).scalar_one()

    group_id = add_org("clinic-group", "prvgrp", "")
    plan = sa.table(
        "insurance_plan",
        *(sa.column(c) for c in ("id", "slug", "name", "network_id", "owned_by_id")),
        sa.column("administered_by_id"),
    )
    plans = conn.execute(sa.select(plan.c.id, plan.c.slug, plan.c.name).order_by(plan.c.id))
    aff = sa.table(
        "organization_affiliation",
        *(sa.column(c) for c in ("organization_id", "participating_id", "network_id", "role")),
        *(sa.column(c) for c in ("active", "created_at", "updated_at", "version")),
    )
    for plan_id, slug, name in plans.all():
        payer_id = add_org(f"payer-{slug}"[:80], "payer", name)
        network_id = add_org(f"ntwk-{slug}"[:80], "ntwk", name, payer_id)
        conn.execute(
            plan.update()
            .where(plan.c.id == plan_id)
            .values(network_id=network_id, owned_by_id=payer_id, administered_by_id=payer_id)
        )
        conn.execute(
            aff.insert().values(
                organization_id=payer_id,
                participating_id=group_id,
                network_id=network_id,
                role="group",
                active=True,
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    # Participation: each provider's plan's network at each of the provider's clinics.
    conn.execute(
        sa.text(
            "INSERT INTO network_participation (provider_id, location_id, network_id, "
            "accepting_new_patients, created_at, updated_at, version) "
            "SELECT DISTINCT pl.provider_id, pl.location_id, ip.network_id, "
            "p.accepting_new_patients, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 "
            "FROM provider_insurance pi "
            "JOIN insurance_plan ip ON ip.id = pi.insurance_plan_id "
            "JOIN provider_location pl ON pl.provider_id = pi.provider_id "
            "JOIN provider p ON p.id = pi.provider_id "
            "WHERE ip.network_id IS NOT NULL"
        )
    )


def _keep_participation():
    """Downgrade: whoever takes a network somewhere keeps each of its plans, flat."""
    op.get_bind().execute(
        sa.text(
            "INSERT INTO provider_insurance (provider_id, insurance_plan_id) "
            "SELECT DISTINCT np.provider_id, ip.id FROM network_participation np "
            "JOIN insurance_plan ip ON ip.network_id = np.network_id "
            "WHERE NOT EXISTS (SELECT 1 FROM provider_insurance pi "
            "WHERE pi.provider_id = np.provider_id AND pi.insurance_plan_id = ip.id)"
        )
    )


def downgrade():
    _keep_participation()
    with op.batch_alter_table("insurance_plan", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_insurance_plan_coverage_area_id_coverage_area"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_insurance_plan_owned_by_id_organization"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_insurance_plan_network_id_organization"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_insurance_plan_administered_by_id_organization"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_insurance_plan_updated_at"))
        batch_op.drop_index(batch_op.f("ix_insurance_plan_owned_by_id"))
        batch_op.drop_index(batch_op.f("ix_insurance_plan_network_id"))
        batch_op.drop_index(batch_op.f("ix_insurance_plan_coverage_area_id"))
        batch_op.drop_index(batch_op.f("ix_insurance_plan_administered_by_id"))
        batch_op.drop_column("version")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("active")
        batch_op.drop_column("plan_type")
        batch_op.drop_column("product_type")
        batch_op.drop_column("coverage_area_id")
        batch_op.drop_column("administered_by_id")
        batch_op.drop_column("owned_by_id")
        batch_op.drop_column("network_id")

    with op.batch_alter_table("organization_affiliation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_affiliation_updated_at"))
        batch_op.drop_index(batch_op.f("ix_organization_affiliation_participating_id"))
        batch_op.drop_index(batch_op.f("ix_organization_affiliation_organization_id"))
        batch_op.drop_index(batch_op.f("ix_organization_affiliation_network_id"))

    op.drop_table("organization_affiliation")
    with op.batch_alter_table("network_participation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_participation_updated_at"))
        batch_op.drop_index(batch_op.f("ix_network_participation_network_id"))
        batch_op.drop_index(batch_op.f("ix_network_participation_location_id"))

    op.drop_table("network_participation")
    with op.batch_alter_table("endpoint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endpoint_updated_at"))
        batch_op.drop_index(batch_op.f("ix_endpoint_organization_id"))
        batch_op.drop_index(batch_op.f("ix_endpoint_location_id"))

    op.drop_table("endpoint")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_updated_at"))
        batch_op.drop_index(batch_op.f("ix_organization_parent_id"))
        batch_op.drop_index(batch_op.f("ix_organization_kind"))
        batch_op.drop_index(batch_op.f("ix_organization_coverage_area_id"))

    op.drop_table("organization")
    with op.batch_alter_table("healthcare_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_healthcare_service_updated_at"))
        batch_op.drop_index(batch_op.f("ix_healthcare_service_specialty_id"))
        batch_op.drop_index(batch_op.f("ix_healthcare_service_location_id"))
        batch_op.drop_index(batch_op.f("ix_healthcare_service_coverage_area_id"))

    op.drop_table("healthcare_service")
    with op.batch_alter_table("coverage_area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_area_updated_at"))
        batch_op.drop_index(batch_op.f("ix_coverage_area_parent_id"))

    op.drop_table("coverage_area")

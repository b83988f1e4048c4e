"""coop_images: photos on a cooperative's public page

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coop_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=80), nullable=False),
    sa.Column('thumb_filename', sa.String(length=80), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt_zh', sa.String(length=120), nullable=False),
    sa.Column('alt_en', sa.String(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('width > 0 AND height > 0', name=op.f('ck_coop_images_size')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_coop_images_coop_id_cooperatives'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coop_images')),
    sa.UniqueConstraint('filename', name=op.f('uq_coop_images_filename')),
    sa.UniqueConstraint('thumb_filename', name=op.f('uq_coop_images_thumb_filename'))
    )
    with op.batch_alter_table('coop_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coop_images_coop_id'), ['coop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('coop_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coop_images_coop_id'))
    op.drop_table('coop_images')

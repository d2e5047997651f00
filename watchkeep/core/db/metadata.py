"""The one MetaData every domain's `tables.py` registers its tables on, and the column type
of an autoincrementing row id (SQLite makes only an INTEGER primary key its rowid)."""

from sqlalchemy import BigInteger, Integer, MetaData

RowId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

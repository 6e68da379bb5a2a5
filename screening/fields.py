# Temporary re-export while sessions_app moves to records.fields; removed in the same change.
from records.fields import *  # noqa: F403

# Temporary re-export while sessions_app moves to records.forms; removed in the same change.
from records.forms import *  # noqa: F403
from records.forms import add_service_error, rebind_after_conflict  # noqa: F401

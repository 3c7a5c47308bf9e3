from kameng.handlers.owner.gate import owner_api
from kameng.http import respond
from kameng.services import owner_session
from kameng.wiring import deps


@owner_api
def me(event, owner):
    return respond(200, owner_session.whoami(owner, deps()))

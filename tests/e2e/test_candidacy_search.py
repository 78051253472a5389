"""``GET /candidacies?q=`` (issue 12): a candidate found by name without diacritics, or by
national id, within the caller's subtree; the query never reaches the logs."""

from __future__ import annotations

from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.scenario import ADMIN, build_tree, make_app, nominate

AUTH = {"Authorization": "Bearer admin-t"}


def test_search_by_name_or_national_id_within_the_subtree() -> None:
    app = make_app()
    tree = build_tree(app, officials=1)
    mai = nominate(app, tree, full_name="Nguyễn Thị Mai", national_id="079200001234")
    nominate(app, tree, full_name="Nguyễn Văn Minh")
    with TestClient(create_app(Settings(admin_token="admin-t"), admissions=app)) as client:

        def found(q: str, headers: dict[str, str] = AUTH) -> list[str]:
            response = client.get("/candidacies", params={"q": q}, headers=headers)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        with capture_logs() as logs:
            assert found("nguyen thi mai") == [str(mai)]
            assert found("079200001234") == [str(mai)]
        assert len(found("NGUYEN")) == 2
        assert found("0792") == []  # a national id matches whole
        assert found("tran") == []
        assert "079200001234" not in repr(logs) and "nguyen" not in repr(logs).lower()
        secret, _ = app.issue_token(Role.BOARD, tree.other_branch, "chi bộ 2", ADMIN)
        assert found("nguyen thi mai", {"Authorization": f"Bearer {secret}"}) == []

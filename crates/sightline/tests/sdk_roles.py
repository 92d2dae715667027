"""Users and roles through Looker's official Python SDK: the admin makes a user, a permission
set, a model set and a role, gives the user the role and API3 credentials; a second SDK logs
in with them and sees and does only what the role gives. The admin then acts as the user
through `login_user` (sudo), and disabling the user stops their SDK.

Run by sdk_flows.rs against a live `sightline demo`; prints one JSON report on stdout.
"""
import json

import looker_sdk
from looker_sdk import models40 as m
from looker_sdk.rtl import api_settings


class Credentials(api_settings.ApiSettings):
    """The base URL from the environment, these API3 credentials instead of the environment's."""

    def __init__(self, client_id, client_secret):
        # Set first: the base class reads the configuration while it is made.
        self.api3 = (client_id, client_secret)
        super().__init__(sdk_version="4.0", env_prefix="LOOKERSDK")

    def read_config(self):
        config = super().read_config()
        config["client_id"], config["client_secret"] = self.api3
        return config


def refusal(call):
    try:
        call()
        return None
    except looker_sdk.error.SDKError as e:
        return [(d.field, d.code) for d in (e.errors or [])] or str(e).split("\n")[0]


def status_of(call):
    """How an SDK call answered: "ok", or the kind of refusal its message names (the Python
    SDK's error carries the message, not the status)."""
    try:
        call()
        return "ok"
    except looker_sdk.error.SDKError as e:
        message = getattr(e, "message", "") or str(e)
        if message.startswith("Forbidden"):
            return "forbidden"
        if "does not exist" in message or message.startswith("Not found"):
            return "not found"
        if "Requires authentication" in message:
            return "unauthorized"
        return message


def main():
    admin = looker_sdk.init40()
    report = {}
    report["admin_roles"] = [r.name for r in admin.user_roles(admin.me().id)]
    report["built_in"] = [r.name for r in admin.all_roles()]

    user = admin.create_user(m.WriteUser(first_name="Ann", last_name="Lee"))
    permissions = admin.create_permission_set(
        m.WritePermissionSet(name="Look viewers", permissions=["access_data", "see_looks", "see_user_dashboards"])
    )
    models = admin.create_model_set(m.WriteModelSet(name="The look", models=["thelook"]))
    role = admin.create_role(m.WriteRole(name="Look viewer", permission_set_id=permissions.id, model_set_id=models.id))
    admin.set_user_roles(user.id, [role.id])
    admin.create_user_credentials_email(user.id, m.WriteCredentialsEmail(email="ann.lee@example.com"))
    report["found_by_email"] = [u.first_name for u in admin.search_users(email="ann.lee@%")]
    credentials = admin.create_user_credentials_api3(user.id)
    report["listed_credentials"] = [c.client_id == credentials.client_id for c in admin.all_user_credentials_api3s(user.id)]
    report["refused_permission"] = refusal(
        lambda: admin.create_permission_set(m.WritePermissionSet(name="x", permissions=["access_data", "use_sql_runner"]))
    )

    # A saved query and Look the admin made.
    query = admin.create_query(
        m.WriteQuery(model="thelook", view="order_items", fields=["orders.status", "order_items.count"], sorts=["orders.status"])
    )
    look = admin.create_look(
        m.WriteLookWithQuery(title="Items by status", query_id=query.id, folder_id=admin.me().personal_folder_id)
    )

    ann = looker_sdk.init40(config_settings=Credentials(credentials.client_id, credentials.client_secret))
    me = ann.me()
    report["ann"] = [me.first_name, me.role_ids == [role.id], me.email]
    report["ann_models"] = [mod.name for mod in ann.all_lookml_models()]
    report["ann_runs_look"] = json.loads(ann.run_look(look.id, "json")) == json.loads(admin.run_look(look.id, "json"))
    task = ann.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json))
    report["ann_task_visible_to_admin"] = admin.query_task(task.id).id == task.id
    report["ann_creates_query"] = status_of(
        lambda: ann.create_query(m.WriteQuery(model="thelook", view="order_items", fields=["order_items.count"]))
    )
    report["ann_sql"] = status_of(lambda: ann.run_query(query.id, "sql"))
    report["ann_connections"] = status_of(lambda: ann.all_connections())
    report["ann_users"] = status_of(lambda: ann.all_users())
    report["ann_sets_roles"] = status_of(lambda: ann.set_user_roles(me.id, [role.id]))
    admin_task = admin.create_query_task(m.WriteCreateQueryTask(query_id=query.id, result_format=m.ResultFormat.json))
    report["ann_reads_admin_task"] = status_of(lambda: ann.query_task(admin_task.id))

    # Moved to a model set without the demo model: the model, its Look and its query are gone
    # for her.
    elsewhere = admin.create_model_set(m.WriteModelSet(name="Elsewhere", models=["finance"]))
    admin.update_role(role.id, m.WriteRole(model_set_id=elsewhere.id))
    report["moved_models"] = [mod.name for mod in ann.all_lookml_models()]
    report["moved_look"] = status_of(lambda: ann.look(look.id))
    report["moved_run"] = status_of(lambda: ann.run_query(query.id, "json"))

    # The admin acts as Ann.
    admin.update_role(role.id, m.WriteRole(model_set_id=models.id))
    admin.auth.login_user(user.id)
    report["sudo_me"] = admin.me().first_name
    report["sudo_models"] = [mod.name for mod in admin.all_lookml_models()]
    admin.auth.logout()
    report["back"] = admin.me().first_name

    admin.update_user(user.id, m.WriteUser(is_disabled=True))
    report["disabled"] = status_of(lambda: ann.me())
    report["last_admin"] = refusal(lambda: admin.set_user_roles(admin.me().id, []))

    # Groups: Cy has no role of her own; in a group given Ann's role she runs the Look; out of
    # it she cannot again.
    cy = admin.create_user(m.WriteUser(first_name="Cy", last_name="Ng"))
    cy_credentials = admin.create_user_credentials_api3(cy.id)
    cy_sdk = looker_sdk.init40(config_settings=Credentials(cy_credentials.client_id, cy_credentials.client_secret))
    before = status_of(lambda: cy_sdk.run_look(look.id, "json"))
    analysts = admin.create_group(m.WriteGroup(name="Analysts"))
    admin.add_group_user(analysts.id, m.GroupIdForGroupUserInclusion(user_id=cy.id))
    admin.set_role_groups(role.id, [analysts.id])
    groups = {
        "before": before,
        "member_runs": json.loads(cy_sdk.run_look(look.id, "json")) == json.loads(admin.run_look(look.id, "json")),
        "cy_group_ids": admin.user(cy.id).group_ids == [analysts.id],
        "cy_roles": [r.name for r in admin.user_roles(cy.id)],
        "cy_direct_roles": [r.name for r in admin.user_roles(cy.id, direct_association_only=True)],
        "role_users": sorted(u.first_name for u in admin.role_users(role.id)),
        "role_direct_users": sorted(u.first_name for u in admin.role_users(role.id, direct_association_only=True)),
        "role_groups": [g.name for g in admin.role_groups(role.id)],
        "group": [admin.group(analysts.id).user_count, [u.first_name for u in admin.all_group_users(analysts.id)]],
        "listed": [g.name for g in admin.all_groups()],
        "duplicate": "already exists" in status_of(lambda: admin.create_group(m.WriteGroup(name="Analysts"))),
    }
    # A user attribute's value for the group's users, below Cy's own value.
    team = admin.create_user_attribute(m.WriteUserAttribute(name="team", label="Team", type="string", default_value="none"))
    others = admin.create_group(m.WriteGroup(name="Others"))
    admin.set_user_attribute_group_values(team.id, [
        m.UserAttributeGroupValue(group_id=others.id, value="blue"),
        m.UserAttributeGroupValue(group_id=analysts.id, value="red"),
    ])
    def cy_team():
        value = next(v for v in admin.user_attribute_user_values(cy.id) if v.name == "team")
        return [value.value, value.source]
    groups["team_from_group"] = cy_team()
    groups["group_values"] = [[v.value, v.rank] for v in admin.all_user_attribute_group_values(team.id)]
    admin.update_user_attribute_group_value(analysts.id, team.id, m.UserAttributeGroupValue(value="crimson"))
    groups["team_updated"] = cy_team()
    admin.set_user_attribute_user_value(cy.id, team.id, m.WriteUserAttributeWithValue(value="green"))
    groups["team_own"] = cy_team()
    admin.delete_user_attribute_user_value(cy.id, team.id)
    admin.delete_user_attribute_group_value(analysts.id, team.id)
    groups["team_default"] = cy_team()
    admin.delete_group(others.id)
    admin.delete_group_user(analysts.id, cy.id)
    groups["after_leaving"] = status_of(lambda: cy_sdk.run_look(look.id, "json"))
    admin.update_group(analysts.id, m.WriteGroup(name="Analysts EU"))
    groups["renamed"] = admin.group(analysts.id).name
    admin.delete_group(analysts.id)
    groups["deleted"] = status_of(lambda: admin.group(analysts.id))
    report["groups"] = groups

    # Deleted: Bo's Look goes to the trash, Bo's SDK stops working, Bo is found no more; nobody
    # deletes themselves, and a deleted user cannot be deleted again.
    bo = admin.create_user(m.WriteUser(first_name="Bo", last_name="Ek"))
    admin.set_user_roles(bo.id, [next(r.id for r in admin.all_roles() if r.name == "User")])
    bo_credentials = admin.create_user_credentials_api3(bo.id)
    bo_sdk = looker_sdk.init40(config_settings=Credentials(bo_credentials.client_id, bo_credentials.client_secret))
    bo_look = bo_sdk.create_look(m.WriteLookWithQuery(title="Bo's look", query_id=query.id, folder_id=bo_sdk.me().personal_folder_id))
    admin.delete_user(bo.id)
    trashed = admin.look(bo_look.id)
    report["deleted"] = {
        "read": status_of(lambda: admin.user(bo.id)),
        "listed": bo.id in [u.id for u in admin.all_users()],
        "searched": [u.id for u in admin.search_users(first_name="Bo")],
        "bo_sdk": status_of(lambda: bo_sdk.me()),
        "look": [trashed.deleted, trashed.deleter_id == admin.me().id],
        "again": status_of(lambda: admin.delete_user(bo.id)),
        "self": status_of(lambda: admin.delete_user(admin.me().id)),
        "by_ann": status_of(lambda: ann.delete_user(admin.me().id)),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()

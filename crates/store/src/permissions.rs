//! The permissions a role can grant, and what a user holds through their roles.
//!
//! Only permissions Sightline enforces are listed: a permission set naming any other Looker
//! permission is refused by name, because a set that grants (or withholds) something nothing
//! checks would be a promise nobody keeps. Model-specific permissions hold on the models of the
//! role's model set; the others hold everywhere once any role grants them, as in Looker. A
//! permission set with `all_access` (the built-in Admin) grants every permission and the admin
//! powers (users, roles, connections, user attributes).

use std::collections::BTreeSet;

/// One of the permissions Sightline enforces, named as Looker names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    AccessData,
    SeeLookmlDashboards,
    SeeLooks,
    SeeUserDashboards,
    Explore,
    CreateTableCalculations,
    CreateCustomFields,
    SaveContent,
    SeeSql,
    SeeQueries,
    SeeUsers,
    Sudo,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::AccessData,
        Permission::SeeLookmlDashboards,
        Permission::SeeLooks,
        Permission::SeeUserDashboards,
        Permission::Explore,
        Permission::CreateTableCalculations,
        Permission::CreateCustomFields,
        Permission::SaveContent,
        Permission::SeeSql,
        Permission::SeeQueries,
        Permission::SeeUsers,
        Permission::Sudo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::AccessData => "access_data",
            Permission::SeeLookmlDashboards => "see_lookml_dashboards",
            Permission::SeeLooks => "see_looks",
            Permission::SeeUserDashboards => "see_user_dashboards",
            Permission::Explore => "explore",
            Permission::CreateTableCalculations => "create_table_calculations",
            Permission::CreateCustomFields => "create_custom_fields",
            Permission::SaveContent => "save_content",
            Permission::SeeSql => "see_sql",
            Permission::SeeQueries => "see_queries",
            Permission::SeeUsers => "see_users",
            Permission::Sudo => "sudo",
        }
    }

    pub fn named(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The permission this one needs in the same set (Looker's dependency tree).
    pub fn parent(self) -> Option<Permission> {
        match self {
            Permission::AccessData | Permission::SeeQueries | Permission::SeeUsers => None,
            Permission::SeeLookmlDashboards | Permission::SeeLooks => Some(Permission::AccessData),
            Permission::SeeUserDashboards | Permission::Explore | Permission::SaveContent | Permission::SeeSql => {
                Some(Permission::SeeLooks)
            }
            Permission::CreateTableCalculations | Permission::CreateCustomFields => Some(Permission::Explore),
            Permission::Sudo => Some(Permission::SeeUsers),
        }
    }

    /// True when the permission holds only on the models of the granting role's model set.
    pub fn is_model_specific(self) -> bool {
        !matches!(self, Permission::SaveContent | Permission::SeeQueries | Permission::SeeUsers | Permission::Sudo)
    }

    pub fn description(self) -> &'static str {
        match self {
            Permission::AccessData => "Run queries on the model, directly or through Looks, dashboards and render tasks",
            Permission::SeeLookmlDashboards => "See the model's LookML dashboards",
            Permission::SeeLooks => "See saved Looks on the model",
            Permission::SeeUserDashboards => "See user-defined dashboards",
            Permission::Explore => "Create new queries on the model's explores",
            Permission::CreateTableCalculations => "Create queries with table calculations",
            Permission::CreateCustomFields => "Create queries with custom dimensions and measures",
            Permission::SaveContent => "Save, change and delete Looks and dashboards",
            Permission::SeeSql => "See the SQL of queries (result_format sql)",
            Permission::SeeQueries => "See and kill every user's running queries",
            Permission::SeeUsers => "See every user and their roles",
            Permission::Sudo => "Log in as another user who is not an admin",
        }
    }
}

/// The models a grant covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Models {
    All,
    Only(BTreeSet<String>),
}

impl Models {
    fn covers(&self, model: &str) -> bool {
        match self {
            Models::All => true,
            Models::Only(models) => models.contains(model),
        }
    }
}

/// What one role gives: its permission set on its model set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The permission set's `all_access` (the Admin set).
    pub all_permissions: bool,
    pub permissions: BTreeSet<Permission>,
    pub models: Models,
}

impl Grant {
    fn gives(&self, p: Permission) -> bool {
        self.all_permissions || self.permissions.contains(&p)
    }
}

/// What a user may do: the union of their roles' grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(pub Vec<Grant>);

impl Grants {
    /// True when a role has the Admin permission set: users, roles, connections and user
    /// attributes are theirs to manage, and every permission holds on every model.
    pub fn is_admin(&self) -> bool {
        self.0.iter().any(|g| g.all_permissions)
    }

    /// True when `p` holds somewhere: on any model for a model-specific permission.
    pub fn has(&self, p: Permission) -> bool {
        self.is_admin() || self.0.iter().any(|g| g.gives(p))
    }

    /// True when `p` holds on `model` (for an instance-wide permission, anywhere).
    pub fn has_on(&self, p: Permission, model: &str) -> bool {
        if self.is_admin() {
            return true;
        }
        if !p.is_model_specific() {
            return self.has(p);
        }
        self.0.iter().any(|g| g.gives(p) && g.models.covers(model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(permissions: &[Permission], models: &[&str]) -> Grant {
        Grant {
            all_permissions: false,
            permissions: permissions.iter().copied().collect(),
            models: Models::Only(models.iter().map(|m| m.to_string()).collect()),
        }
    }

    #[test]
    fn model_specific_permissions_hold_on_their_roles_models_only() {
        let grants = Grants(vec![
            grant(&[Permission::AccessData, Permission::SeeLooks], &["sales"]),
            grant(&[Permission::AccessData, Permission::SeeLooks, Permission::SaveContent], &["hr"]),
        ]);
        assert!(grants.has_on(Permission::AccessData, "sales"));
        assert!(!grants.has_on(Permission::AccessData, "finance"));
        assert!(!grants.has_on(Permission::Explore, "sales"));
        // save_content is instance-wide: granted on hr, it holds for sales too.
        assert!(grants.has_on(Permission::SaveContent, "sales"));
        assert!(!grants.is_admin());
    }

    #[test]
    fn the_admin_set_grants_everything() {
        let grants = Grants(vec![Grant { all_permissions: true, permissions: BTreeSet::new(), models: Models::Only(BTreeSet::new()) }]);
        assert!(grants.is_admin() && grants.has_on(Permission::SeeSql, "anything") && grants.has(Permission::Sudo));
        assert!(!Grants::default().has(Permission::AccessData));
    }

    #[test]
    fn every_parent_is_listed_and_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::named(p.as_str()), Some(p));
            if let Some(parent) = p.parent() {
                assert!(Permission::ALL.contains(&parent));
            }
        }
    }
}

//! Looks and their folders as the spec's `LookWithQuery` and `FolderBase`. Lists (`all_looks`,
//! `search_looks`) answer the spec's `Look`, which is `LookWithQuery` without its query.

use wire::schemas::{FolderBase, LookModel, LookWithQuery, Query};

use super::can;

/// What a Look is shown with besides its own row.
pub struct LookContext<'a> {
    pub folder: Option<&'a store::Folder>,
    pub owner: Option<&'a store::User>,
    /// The Look's query, for `LookWithQuery` (and its model); `None` in lists.
    pub query: Option<Query>,
    /// The query's model.
    pub model: Option<String>,
}

pub fn look(look: &store::Look, context: LookContext<'_>) -> LookWithQuery {
    LookWithQuery {
        id: Some(look.id.to_string()),
        title: Some(look.title.clone()),
        description: look.description.clone(),
        query_id: Some(look.query_id.to_string()),
        user_id: Some(look.user_id.to_string()),
        user_name: context.owner.map(|u| format!("{} {}", u.first_name, u.last_name)),
        is_owner_disabled: context.owner.map(|u| u.is_disabled),
        folder_id: Some(look.folder_id.to_string()),
        folder: context.folder.map(|f| Box::new(folder(f))),
        model: context.model.map(|id| Box::new(LookModel { id: Some(id.clone()), label: Some(id) })),
        is_run_on_load: Some(look.is_run_on_load),
        public: Some(look.public),
        deleted: Some(look.deleted),
        deleted_at: look.deleted_at.clone(),
        deleter_id: look.deleter_id.map(|id| id.to_string()),
        last_updater_id: look.last_updater_id.map(|id| id.to_string()),
        created_at: Some(look.created_at.clone()),
        updated_at: Some(look.updated_at.clone()),
        // There is no web UI to view Looks in, nor favorites: none have happened.
        view_count: Some(0),
        favorite_count: Some(0),
        short_url: Some(format!("/looks/{}", look.id)),
        url: Some(format!("/looks/{}", look.id)),
        query: context.query.map(Box::new),
        can: Some(can(&[("show", true), ("update", true), ("destroy", true), ("run", true), ("render", true)])),
        ..Default::default()
    }
}

pub(super) fn folder(f: &store::Folder) -> FolderBase {
    FolderBase {
        id: Some(f.id.to_string()),
        name: f.name.clone(),
        parent_id: f.parent_id.map(|id| id.to_string()),
        created_at: Some(f.created_at.clone()),
        creator_id: f.creator_id.map(|id| id.to_string()),
        is_personal: Some(f.personal_user_id.is_some()),
        is_personal_descendant: Some(false),
        is_shared_root: Some(f.is_shared_root()),
        is_users_root: Some(f.is_users_root()),
        is_embed: Some(false),
        is_embed_shared_root: Some(false),
        is_embed_users_root: Some(false),
        can: Some(can(&[("show", true)])),
        ..Default::default()
    }
}

//! The gallery's thumbnail cache: `<data>/thumbs/<sha256>-<side>.png`, the hash taken over the
//! image's path, modification time and size (content-addressed without reading a 4K file). The
//! window's media service reads and writes it; deleting a job removes its image's thumbnails
//! ([`remove_cached`]), so a deleted picture does not stay on disk in small.

use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest as _, Sha256};

/// The cache folder in the data folder `data_dir`.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("thumbs")
}

/// Where the thumbnail of `image` at `max_side_px` is kept in the cache folder `thumbs` (`None`
/// when the image cannot be looked at: then it cannot be decoded either).
pub fn cache_file(image: &Path, max_side_px: u32, thumbs: &Path) -> Option<PathBuf> {
    Some(thumbs.join(format!("{}-{max_side_px}.png", key(image)?)))
}

/// Removes every cached thumbnail of `image` (each size) from the cache folder `thumbs`. Call it
/// before the image itself leaves the disk: the cache's names come from the image's file. An
/// image that is already gone, or a missing cache folder, leaves nothing to do.
pub fn remove_cached(image: &Path, thumbs: &Path) -> io::Result<()> {
    remove(&cached_files(image, thumbs)?)
}

/// The cached thumbnails of `image` (each size) in the cache folder `thumbs`. Read them before
/// the image moves (to the trash): their names come from the image's file.
pub fn cached_files(image: &Path, thumbs: &Path) -> io::Result<Vec<PathBuf>> {
    let Some(key) = key(image) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{key}-");
    let entries = match std::fs::read_dir(thumbs) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            files.push(entry.path());
        }
    }
    Ok(files)
}

/// Removes cached thumbnails (a cache Peel makes again, so not worth the trash); one already
/// gone is fine.
pub fn remove(files: &[PathBuf]) -> io::Result<()> {
    for file in files {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// The hash naming `image`'s thumbnails: its path, modification time and size, in hex.
fn key(image: &Path) -> Option<String> {
    let meta = std::fs::metadata(image).ok()?;
    let modified_ns = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let mut hash = Sha256::new();
    hash.update(image.as_os_str().as_encoded_bytes());
    hash.update([0]);
    hash.update(modified_ns.to_le_bytes());
    hash.update(meta.len().to_le_bytes());
    Some(format!("{:x}", hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_an_images_thumbnails_leaves_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let thumbs = folder(dir.path());
        std::fs::create_dir_all(&thumbs).unwrap();
        let (fox, owl) = (dir.path().join("fox.png"), dir.path().join("owl.png"));
        std::fs::write(&fox, b"fox").unwrap();
        std::fs::write(&owl, b"owl").unwrap();
        let fox_thumbs = [128, 256].map(|side| cache_file(&fox, side, &thumbs).unwrap());
        let owl_thumb = cache_file(&owl, 256, &thumbs).unwrap();
        for path in fox_thumbs.iter().chain([&owl_thumb]) {
            std::fs::write(path, b"png").unwrap();
        }
        remove_cached(&fox, &thumbs).unwrap();
        assert!(fox_thumbs.iter().all(|path| !path.exists()));
        assert!(owl_thumb.exists());
        // Nothing to do: an image already gone, or no cache folder.
        remove_cached(&dir.path().join("gone.png"), &thumbs).unwrap();
        remove_cached(&owl, &dir.path().join("no-thumbs")).unwrap();
    }
}

namespace DittoFs.Storage;

/// <summary>
/// Outcome of a filesystem operation. Protocol-neutral: each protocol maps
/// these to its own codes (nfsstat3, nfsstat4). Errors are values, never exceptions.
/// </summary>
public enum FsStatus
{
    Ok = 0,
    NotPermitted,       // EPERM: not the owner, or not root where root is required
    NotFound,           // ENOENT
    IoError,            // EIO: a store failed
    Access,             // EACCES: mode bits deny it
    Exists,             // EEXIST
    CrossDevice,        // EXDEV: link/rename across volumes
    NotDirectory,       // ENOTDIR
    IsDirectory,        // EISDIR
    Invalid,            // EINVAL: bad argument (e.g. rename a dir into itself, bad type)
    FileTooBig,         // EFBIG
    NoSpace,            // ENOSPC
    ReadOnly,           // EROFS
    TooManyLinks,       // EMLINK
    NameTooLong,        // ENAMETOOLONG
    NotEmpty,           // ENOTEMPTY
    Stale,              // ESTALE: the file handle names a file that no longer exists (or a reused inode)
    BadHandle,          // the handle is malformed or from another volume
    NotSupported,       // the operation does not apply (e.g. readlink on a regular file)
    BadCookie,          // READDIR cookie no longer valid
    NotSync,            // the guard (ctime) of SETATTR did not match
    Delay,              // try again later (back-pressure)
    BadType,            // object type not supported by create
    NoData,             // ENODATA: no extended attribute of that name
    TooBig,             // E2BIG: an extended attribute (or all of a file's) past the limit
    NoSuchAddress,      // ENXIO: SEEK at or past the end of the file, or no data after the offset
}

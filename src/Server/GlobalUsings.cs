// System.IO (an implicit using) has a FileAttributes too; ours is the filesystem's.
global using FileAttributes = DittoFs.Storage.FileAttributes;

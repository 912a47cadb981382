/*
 * sparsetool: what busybox lacks for the NFSv4.2 tests in the guest (no xfs_io, python, setfattr, getfattr).
 *   sparsetool seek  FILE OFFSET data|hole     lseek SEEK_DATA / SEEK_HOLE: prints the offset, or ENXIO (exit 1)
 *   sparsetool punch FILE OFFSET LENGTH        fallocate(PUNCH_HOLE | KEEP_SIZE)
 *   sparsetool setx  FILE NAME VALUE [create|replace]   setxattr: prints OK, EEXIST or ENODATA (exit 1)
 *   sparsetool getx  FILE NAME                 getxattr: prints the value, or ENODATA (exit 1)
 *   sparsetool listx FILE                      listxattr: the names, one a line
 *   sparsetool rmx   FILE NAME                 removexattr: prints OK or ENODATA (exit 1)
 *   sparsetool copy  FILE DEST                 copy_file_range of the whole file (NFSv4.2 COPY), then fsync
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int outcome(int rc)
{
    if (rc == 0) { puts("OK"); return 0; }
    if (errno == EEXIST) { puts("EEXIST"); return 1; }
    if (errno == ENODATA) { puts("ENODATA"); return 1; }
    perror("xattr");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: sparsetool seek|punch|setx|getx|listx|rmx|copy FILE ...\n"); return 64; }
    const char *cmd = argv[1], *file = argv[2];
    if (strcmp(cmd, "seek") == 0 && argc == 5) {
        int fd = open(file, O_RDONLY);
        if (fd < 0) { perror("open"); return 65; }
        off_t at = lseek(fd, atoll(argv[3]), strcmp(argv[4], "data") == 0 ? SEEK_DATA : SEEK_HOLE);
        if (at < 0) { if (errno == ENXIO) { puts("ENXIO"); return 1; } perror("lseek"); return 2; }
        printf("%lld\n", (long long)at);
        return 0;
    }
    if (strcmp(cmd, "punch") == 0 && argc == 5) {
        int fd = open(file, O_RDWR);
        if (fd < 0) { perror("open"); return 65; }
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, atoll(argv[3]), atoll(argv[4])) < 0) { perror("fallocate"); return 2; }
        return 0;
    }
    if (strcmp(cmd, "setx") == 0 && argc >= 5) {
        int flags = argc > 5 ? (strcmp(argv[5], "create") == 0 ? XATTR_CREATE : XATTR_REPLACE) : 0;
        char name[300];
        snprintf(name, sizeof name, "user.%s", argv[3]);
        return outcome(setxattr(file, name, argv[4], strlen(argv[4]), flags));
    }
    if (strcmp(cmd, "getx") == 0 && argc == 4) {
        char name[300], value[65536];
        snprintf(name, sizeof name, "user.%s", argv[3]);
        ssize_t n = getxattr(file, name, value, sizeof value);
        if (n < 0) return outcome(-1);
        printf("%.*s\n", (int)n, value);
        return 0;
    }
    if (strcmp(cmd, "listx") == 0 && argc == 3) {
        char names[65536];
        ssize_t n = listxattr(file, names, sizeof names);
        if (n < 0) { perror("listxattr"); return 2; }
        for (ssize_t i = 0; i < n; i += strlen(names + i) + 1) puts(names + i);
        return 0;
    }
    if (strcmp(cmd, "rmx") == 0 && argc == 4) {
        char name[300];
        snprintf(name, sizeof name, "user.%s", argv[3]);
        return outcome(removexattr(file, name));
    }
    if (strcmp(cmd, "copy") == 0 && argc == 4) {
        int in = open(file, O_RDONLY), out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        struct stat st;
        if (in < 0 || out < 0 || fstat(in, &st) < 0) { perror("open"); return 65; }
        for (off_t left = st.st_size; left > 0;) {
            ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
            if (n < 0) { perror("copy_file_range"); return 2; }
            if (n == 0) break;
            left -= n;
        }
        if (fsync(out) < 0) { perror("fsync"); return 2; }
        return 0;
    }
    fprintf(stderr, "sparsetool: bad arguments\n");
    return 64;
}

/**
 * PKCS#11 values certwright needs that pkcs11js 2.1.7 does not export
 * (PKCS#11 v3.0 Edwards-curve mechanisms and session states).
 */

/** `CKK_EC_EDWARDS` (PKCS#11 v3.0 §2.3.1). */
export const CKK_EC_EDWARDS = 0x40;
/** `CKM_EC_EDWARDS_KEY_PAIR_GEN` (PKCS#11 v3.0 §2.3.5). */
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
/** `CKM_EDDSA` (PKCS#11 v3.0 §2.3.6): pure EdDSA without parameters means Ed25519 on an edwards25519 key. */
export const CKM_EDDSA = 0x1057;
/** `CKS_RO_USER_FUNCTIONS`: a read-only session of a logged-in user (PKCS#11 v2.40 §5.6). */
export const CKS_RO_USER_FUNCTIONS = 1;
/** `CKS_RW_USER_FUNCTIONS`: a read/write session of a logged-in user (PKCS#11 v2.40 §5.6). */
export const CKS_RW_USER_FUNCTIONS = 3;

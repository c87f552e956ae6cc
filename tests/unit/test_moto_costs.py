"""local/moto_costs.py: moto answers as before, without the key material nobody asked for."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
from cryptography.hazmat.primitives.serialization import load_der_public_key
from moto import mock_aws

from local.moto_costs import spare_moto_unused_key_material

REGION = "ap-northeast-2"


def test_a_symmetric_key_makes_its_private_key_only_when_used() -> None:
    spare_moto_unused_key_material()
    with mock_aws():
        from moto.kms.models import kms_backends

        kms = boto3.client("kms", region_name=REGION)
        unused, used = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
        keys = kms_backends["123456789012"][REGION].keys
        assert keys[unused].private_key._key is None  # never made
        # moto's GetPublicKey (the one operation that reads it on such a key) still answers,
        # with a key pair of its own per key.
        public = kms.get_public_key(KeyId=used)["PublicKey"]
        assert load_der_public_key(public).key_size == 2048  # type: ignore[union-attr]
        assert keys[unused].private_key._key is None
        assert kms.get_public_key(KeyId=unused)["PublicKey"] != public
        # Symmetric encryption never touched the private key.
        blob = kms.encrypt(KeyId=used, Plaintext=b"x")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_user_pools_share_the_key_moto_ships_and_sign_with_it() -> None:
    spare_moto_unused_key_material()
    with mock_aws():
        from joserfc import jwk, jwt
        from moto.cognitoidp.models import cognitoidp_backends
        from moto.utilities.utils import load_resource

        idp = boto3.client("cognito-idp", region_name=REGION)
        tokens = []
        for name in ("one", "two"):
            pool = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
            client = idp.create_user_pool_client(
                UserPoolId=pool,
                ClientName=name,
                ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
            )["UserPoolClient"]["ClientId"]
            idp.admin_create_user(UserPoolId=pool, Username="u", MessageAction="SUPPRESS")
            idp.admin_set_user_password(
                UserPoolId=pool, Username="u", Password="Passw0rd!x", Permanent=True
            )
            answer = idp.admin_initiate_auth(
                UserPoolId=pool,
                ClientId=client,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "u", "PASSWORD": "Passw0rd!x"},
            )
            tokens.append((pool, answer["AuthenticationResult"]["IdToken"]))
        pools = cognitoidp_backends["123456789012"][REGION].user_pools
        assert len({id(pools[pool].json_web_key) for pool, _ in tokens}) == 1  # imported once
        # Each token verifies against the public key moto publishes for every pool.
        [public] = load_resource("cognitoidp/resources/jwks-public.json")["keys"]
        for pool, token in tokens:
            decoded = jwt.decode(token, jwk.import_key(public))
            assert decoded.claims["iss"].endswith(pool)
            assert _claims(token)["cognito:username"] == "u"

"""/robots.txt keeps search engines to the public pages: every private area is disallowed, the catalogue is not."""


def test_robots_txt_disallows_the_private_areas_and_leaves_the_catalogue_open(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = [line.removeprefix("Disallow: ") for line in lines[1:]]
    for private in ("/account/login", "/cart", "/checkout", "/orders/1", "/pay/LN1", "/coop/", "/staff/users",
                    "/lang/en"):
        assert any(private.startswith(prefix) for prefix in disallowed), private
    for public in ("/", "/products", "/products/walnuts", "/coops", "/trace/ABC", "/impact"):
        assert not any(public.startswith(prefix) for prefix in disallowed), public

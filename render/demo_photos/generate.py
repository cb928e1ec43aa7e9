"""Draw the illustrated demo portraits: `python -m render.demo_photos.generate`.

The demo wall needs faces, and downloaded photos of real people would need
their consent; these are drawn with pygame from a fixed seed per name. They
are 480×600 (not square) on purpose, so the demo exercises the square crop.
"""

import math
import os
import random
import zlib
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
import pygame  # noqa: E402  (the driver must be chosen before pygame loads)

HERE = Path(__file__).parent
SIZE = (480, 600)
SCALE = 2  # drawn at double size and scaled down: smooth edges without per-shape antialiasing

# The demo wall's people and the sample wall's; a few are left without a photo on
# purpose (Ilse, Mila, ...), so the demo shows initials tiles too.
NAMES = (
    "sanne",
    "daan",
    "fatima",
    "jeroen",
    "lotte",
    "youssef",
    "emma",
    "noah",
    "priya",
    "bram",
    "ayla",
    "tim",
    "lucas",
    "yara",
    "sem",
    "milan",
    "zoe",
    "ayoub",
    "julia",
    "finn",
    "nora",
    "levi",
)

SKIN = ((255, 219, 180), (241, 194, 150), (224, 172, 120), (198, 134, 86), (160, 104, 64), (112, 72, 46))
HAIR = ((40, 30, 26), (92, 58, 34), (170, 110, 56), (226, 188, 116), (150, 60, 40), (70, 70, 78))
BACKDROP = ((252, 214, 160), (190, 224, 214), (206, 214, 244), (246, 196, 200), (214, 234, 180), (236, 220, 250))
CLOTHES = ((52, 96, 150), (200, 80, 70), (60, 140, 110), (240, 180, 60), (120, 80, 160), (40, 44, 60))
SCARF = ((34, 96, 120), (150, 50, 80), (60, 60, 100), (180, 120, 60))
HAIRSTYLES = ("short", "long", "bun", "curly", "buzz", "scarf")


def portrait(name: str) -> pygame.Surface:
    rng = random.Random(zlib.crc32(name.encode()))
    width, height = SIZE[0] * SCALE, SIZE[1] * SCALE
    canvas = pygame.Surface((width, height))
    backdrop = rng.choice(BACKDROP)
    for y in range(height):  # a soft vertical gradient
        shade = 1 - 0.18 * y / height
        canvas.fill(tuple(round(c * shade) for c in backdrop), (0, y, width, 1))
    skin, hair, style = rng.choice(SKIN), rng.choice(HAIR), rng.choice(HAIRSTYLES)
    cx, face_y = width // 2, round(height * 0.42)
    face = pygame.Rect(0, 0, round(width * 0.42), round(height * 0.40))
    face.center = (cx, face_y)

    if style == "long":
        pygame.draw.ellipse(
            canvas, hair, face.inflate(face.width * 0.35, face.height * 0.55).move(0, face.height * 0.2)
        )
    if style == "scarf":
        pygame.draw.ellipse(
            canvas, rng.choice(SCARF), face.inflate(face.width * 0.45, face.height * 0.4).move(0, face.height * 0.12)
        )
    shirt = pygame.Rect(0, 0, round(width * 0.95), round(height * 0.5))
    shirt.midtop = (cx, round(height * 0.74))
    pygame.draw.ellipse(canvas, rng.choice(CLOTHES), shirt)
    neck = pygame.Rect(0, 0, face.width // 3, round(height * 0.14))
    neck.midtop = (cx, face.bottom - face.height // 8)
    pygame.draw.rect(canvas, tuple(round(c * 0.88) for c in skin), neck)
    pygame.draw.ellipse(canvas, skin, face)
    for side in (-1, 1):  # ears
        ear = pygame.Rect(0, 0, face.width // 6, face.height // 5)
        ear.center = (cx + side * face.width // 2, face_y + face.height // 20)
        if style not in ("scarf", "long"):
            pygame.draw.ellipse(canvas, skin, ear)

    top = pygame.Rect(face.x - face.width * 0.04, face.y - face.height * 0.08, face.width * 1.08, face.height * 0.55)
    if style in ("short", "long", "bun", "curly"):
        pygame.draw.ellipse(canvas, hair, top)
        pygame.draw.rect(
            canvas, skin, (face.x + face.width * 0.12, face.y + face.height * 0.3, face.width * 0.76, face.height * 0.2)
        )
        pygame.draw.ellipse(
            canvas, skin, (face.x + face.width * 0.1, face.y + face.height * 0.22, face.width * 0.8, face.height * 0.3)
        )
    if style == "bun":
        pygame.draw.circle(canvas, hair, (cx, round(face.y - face.height * 0.08)), face.width // 5)
    if style == "curly":
        for _ in range(26):
            angle = rng.uniform(3.3, 6.1)  # around the top of the head
            curl = (
                round(cx + face.width * 0.55 * math.cos(angle)),
                round(face_y - face.height * 0.1 + face.height * 0.55 * math.sin(angle)),
            )
            pygame.draw.circle(canvas, hair, curl, face.width // 7)
    if style == "buzz":
        pygame.draw.ellipse(
            canvas,
            hair,
            (face.x + face.width * 0.06, face.y - face.height * 0.02, face.width * 0.88, face.height * 0.3),
        )
        pygame.draw.ellipse(
            canvas, skin, (face.x + face.width * 0.08, face.y + face.height * 0.1, face.width * 0.84, face.height * 0.4)
        )
    if style == "scarf":
        pygame.draw.ellipse(
            canvas, skin, face.inflate(-face.width * 0.12, -face.height * 0.16).move(0, face.height * 0.06)
        )

    eye_y = face_y + face.height // 20
    for side in (-1, 1):
        eye_x = cx + side * face.width // 5
        pygame.draw.ellipse(canvas, (255, 255, 255), (eye_x - 18, eye_y - 12, 36, 24))
        pygame.draw.circle(canvas, (52, 40, 36), (eye_x, eye_y), 11)
        pygame.draw.line(
            canvas,
            tuple(round(c * 0.8) for c in hair),
            (eye_x - 24, eye_y - 34),
            (eye_x + 22, eye_y - 38 + side * 2),
            8,
        )
        pygame.draw.circle(canvas, (246, 150, 140), (eye_x + side * 14, eye_y + face.height // 6), 22)
    if rng.random() < 0.25:  # glasses
        for side in (-1, 1):
            pygame.draw.circle(canvas, (40, 40, 48), (cx + side * face.width // 5, eye_y), 40, 7)
        pygame.draw.line(
            canvas, (40, 40, 48), (cx - face.width // 5 + 40, eye_y), (cx + face.width // 5 - 40, eye_y), 7
        )
    smile = pygame.Rect(0, 0, face.width // 3, face.height // 6)
    smile.center = (cx, face_y + face.height // 4)
    pygame.draw.arc(canvas, (150, 60, 60), smile, 3.5, 5.9, 9)
    return pygame.transform.smoothscale(canvas, SIZE)


def main() -> None:
    pygame.init()
    for name in NAMES:
        pygame.image.save(portrait(name), str(HERE / f"{name}.png"))
        print(HERE / f"{name}.png")


if __name__ == "__main__":
    main()
